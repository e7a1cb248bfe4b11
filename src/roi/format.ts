/** Number formats shared by the ROI Markdown and the HTML report. */

/** Money with two decimals and thousands separators: `USD 6,455.89`. */
export function money(value: number, currency: string): string {
  return `${currency} ${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Bytes in decimal units with three significant digits: `84.0 TB`. */
export function bytes(value: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toPrecision(3)} ${units[i]}`;
}

/** A plain number with thousands separators and at most `digits` decimals. */
export function num(value: number, digits = 2): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Beyond this many months a payback is said in words: no deployment plans that far. */
export const PAYBACK_HORIZON_MONTHS = 120;

/**
 * A payback period: months up to PAYBACK_HORIZON_MONTHS, in words beyond it, "never" for null.
 * @example months(207052.28) // 'no payback within 10 years (207,052 months)'
 */
export function months(value: number | null): string {
  if (value === null) return 'never (no net saving)';
  if (value > PAYBACK_HORIZON_MONTHS) return `no payback within ${PAYBACK_HORIZON_MONTHS / 12} years (${num(value, 0)} months)`;
  return `${num(value)} months`;
}

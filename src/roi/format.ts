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

/** Months, or "never" for null. */
export function months(value: number | null): string {
  return value === null ? 'never (no net saving)' : `${num(value)} months`;
}

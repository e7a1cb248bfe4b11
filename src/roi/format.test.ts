import { describe, expect, it } from 'vitest';
import { months, PAYBACK_HORIZON_MONTHS } from './format.js';

describe('months (payback)', () => {
  it('says a payback beyond any useful horizon in words', () => {
    expect(months(207052.28)).toBe('no payback within 10 years (207,052 months)');
    expect(months(PAYBACK_HORIZON_MONTHS + 0.01)).toMatch(/^no payback within 10 years/);
    expect(months(PAYBACK_HORIZON_MONTHS)).toBe('120 months');
    expect(months(3.456)).toBe('3.46 months');
    expect(months(null)).toBe('never (no net saving)');
  });
});

/**
 * What a month of traffic costs under a tariff: metered per-unit price on the billed directions,
 * plus a flat plan's fees and overage (per client site, or one plan for the whole deployment).
 */
import { unitBytes, type Tariff } from './tariff.js';

export interface MonthlyBytes {
  up: number;
  down: number;
  internal: number;
}

export interface TransferCost {
  /** Billed traffic in the tariff's unit. */
  billedUnits: number;
  metered: number;
  planFees: number;
  overage: number;
  total: number;
}

/**
 * Monthly transfer cost. A per-client plan is applied to the mean client's traffic
 * (clients assumed alike), times the number of clients.
 * @example transferCost({ up: 0, down: 2e9, internal: 0 }, tariff, 10).total
 */
export function transferCost(bytes: MonthlyBytes, tariff: Tariff, clients: number): TransferCost {
  const billedBytes = tariff.billed.reduce((sum, d) => sum + bytes[d], 0);
  const billedUnits = billedBytes / unitBytes(tariff);
  const metered = billedUnits * tariff.perGB;
  let planFees = 0;
  let overage = 0;
  const plan = tariff.plan;
  if (plan) {
    const plans = plan.per === 'client' ? clients : 1;
    const perPlan = billedUnits / plans;
    planFees = plan.monthlyFee * plans;
    overage = plan.includedGB === null ? 0 : Math.max(0, perPlan - plan.includedGB) * plan.overagePerGB * plans;
  }
  return { billedUnits, metered, planFees, overage, total: metered + planFees + overage };
}

/** Rounds money to cents (a tiny nudge keeps x.xx5 from flooring through binary error). */
export function cents(value: number): number {
  return Math.round(value * 100 + Math.sign(value) * 1e-7) / 100;
}

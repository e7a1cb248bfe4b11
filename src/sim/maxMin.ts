/**
 * Max-min fair rates by progressive filling (Bertsekas & Gallager, "Data Networks" §6.5.2),
 * the sharing rule of SimGrid's flow models: raise every flow's rate together; when a resource
 * is full, freeze the flows crossing it at their current rate; repeat with the rest. A flow's
 * own bound (`cap`: its TCP window over its RTT) freezes it the same way.
 *
 * Cost O((F·L + R) log(R + F)) for F flows of at most L resources each on R resources: the
 * next resource to saturate comes from a heap keyed by its fair share (remaining capacity over
 * unfrozen flows), with lazy deletion of stale keys. Nothing is quadratic in the flow count, so
 * a thousand concurrent transfers re-plan in well under a millisecond.
 */
import { EventQueue } from './eventQueue.js';

/** One flow: the resources it crosses and its own rate bound (Infinity for none). */
export interface MaxMinFlow {
  route: readonly number[];
  cap: number;
}

/**
 * Max-min fair rates of `flows` over resources of the given capacities (same unit as `cap`).
 * Returns one rate per flow. A flow with an empty route gets its cap (or Infinity).
 * @example maxMinRates([10], [{ route: [0], cap: Infinity }, { route: [0], cap: 2 }]) // [8, 2]
 */
export function maxMinRates(capacity: ArrayLike<number>, flows: readonly MaxMinFlow[]): Float64Array {
  const fast = starRates(capacity, flows);
  return fast ?? progressiveFilling(capacity, flows);
}

/**
 * The common case in O(F + Σ sort): fold every resource used by a single flow into that flow's
 * cap (a private link is just a bound); if then no flow crosses two shared resources, each
 * shared resource is an independent single-link water-filling: with its flows' caps sorted, the
 * level λ solves Σ min(cap, λ) = capacity, and every flow gets min(cap, λ). Returns null when
 * the general algorithm is needed.
 */
function starRates(capacity: ArrayLike<number>, flows: readonly MaxMinFlow[]): Float64Array | null {
  const R = capacity.length;
  const F = flows.length;
  const load = new Int32Array(R);
  for (let i = 0; i < F; i++) {
    const route = (flows[i] as MaxMinFlow).route;
    for (let j = 0; j < route.length; j++) load[route[j] as number]! += 1;
  }
  const cap = new Float64Array(F);
  const shared = new Int32Array(F);
  const sharedList: number[] = [];
  for (let i = 0; i < F; i++) {
    const f = flows[i] as MaxMinFlow;
    let c = f.cap;
    let sh = -1;
    for (let j = 0; j < f.route.length; j++) {
      const r = f.route[j] as number;
      if (load[r] === 1) {
        const cr = capacity[r] as number;
        if (cr < c) c = cr > 0 ? cr : 0;
      } else if (sh === -1) {
        sh = r;
      } else {
        return null; // crosses two shared resources
      }
    }
    cap[i] = c;
    shared[i] = sh;
    if (sh >= 0 && load[sh]! > 0) {
      sharedList.push(sh);
      load[sh] = -load[sh]!; // mark as listed (negative), restored below
    }
  }
  for (const r of sharedList) load[r] = -load[r]!;
  // Few shared resources (the server's and federator's access links): one pass over the flows each.
  for (const r of sharedList) {
    const lambda = waterLevel(Math.max(0, capacity[r] as number), r, shared, cap);
    if (lambda === Infinity) continue;
    for (let i = 0; i < F; i++) if (shared[i] === r && cap[i]! > lambda) cap[i] = lambda;
  }
  return cap;
}

/**
 * The level λ with Σ min(cap_i, λ) = capacity over the flows i with `shared[i] === r`
 * (Infinity if every cap fits). Fixed-point iteration: flows capped below the current level
 * are set aside and the level recomputed; it only rises, and settles after as many passes as
 * there are distinct cap levels below it (a sort takes over past 8 passes, so the worst case
 * stays O(n log n)).
 */
function waterLevel(capacity: number, r: number, shared: Int32Array, cap: Float64Array): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < cap.length; i++) {
    if (shared[i] === r) {
      total += cap[i]!;
      n++;
    }
  }
  if (total <= capacity) return Infinity;
  let lambda = capacity / n;
  for (let pass = 0; pass < 8; pass++) {
    let fixed = 0;
    let fixedCount = 0;
    for (let i = 0; i < cap.length; i++) {
      if (shared[i] === r && cap[i]! < lambda) {
        fixed += cap[i]!;
        fixedCount++;
      }
    }
    const next = (capacity - fixed) / (n - fixedCount);
    if (!(next > lambda)) return lambda;
    lambda = next;
  }
  const sorted = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < cap.length; i++) if (shared[i] === r) sorted[m++] = cap[i]!;
  sorted.sort();
  let remaining = capacity;
  for (let j = 0; j < n; j++) {
    const share = remaining / (n - j);
    if (sorted[j]! >= share) return share;
    remaining -= sorted[j]!;
  }
  return Infinity;
}

/** General progressive filling (any routes). */
function progressiveFilling(capacity: ArrayLike<number>, flows: readonly MaxMinFlow[]): Float64Array {
  const R = capacity.length;
  const F = flows.length;
  const rate = new Float64Array(F);
  const frozen = new Uint8Array(F);
  const remaining = Float64Array.from({ length: R }, (_, r) => Math.max(0, capacity[r] as number));
  const unfrozen = new Int32Array(R);
  // Resource → flows adjacency in CSR form.
  const start = new Int32Array(R + 1);
  for (const f of flows) for (const r of f.route) start[r + 1]! += 1;
  for (let r = 0; r < R; r++) start[r + 1]! += start[r]!;
  const members = new Int32Array(start[R]!);
  const fill = start.slice(0, R);
  flows.forEach((f, i) => {
    for (const r of f.route) members[fill[r]!++] = i;
  });
  for (let r = 0; r < R; r++) unfrozen[r] = start[r + 1]! - start[r]!;

  // Two heaps: resources by fair share, flows by cap. Stale resource keys are skipped on pop.
  const resources = new EventQueue<number>(Math.max(1, R));
  for (let r = 0; r < R; r++) if (unfrozen[r]! > 0) resources.push(remaining[r]! / unfrozen[r]!, r);
  const caps = new EventQueue<number>(Math.max(1, F));
  let left = F;
  flows.forEach((f, i) => {
    if (f.route.length === 0) {
      rate[i] = f.cap;
      frozen[i] = 1;
      left--;
    } else if (f.cap < Infinity) {
      caps.push(f.cap, i);
    }
  });

  const freeze = (i: number, value: number): void => {
    rate[i] = value;
    frozen[i] = 1;
    left--;
    for (const r of flows[i]!.route) {
      remaining[r] = Math.max(0, remaining[r]! - value);
      unfrozen[r]! -= 1;
      if (unfrozen[r]! > 0) resources.push(remaining[r]! / unfrozen[r]!, r);
    }
  };

  // Bounded: every pass freezes at least one flow or discards one stale heap entry.
  while (left > 0) {
    while (caps.size > 0 && frozen[caps.peek()!.value]) caps.pop();
    let share = Infinity;
    let r = -1;
    while (resources.size > 0) {
      const top = resources.peek()!;
      const cur = unfrozen[top.value]! > 0 ? remaining[top.value]! / unfrozen[top.value]! : Infinity;
      if (cur !== top.time) {
        resources.pop(); // stale: a fresher key for this resource is in the heap (or it is empty)
        continue;
      }
      share = cur;
      r = top.value;
      break;
    }
    const capTop = caps.size > 0 ? caps.peek()! : undefined;
    if (capTop !== undefined && capTop.time <= share) {
      caps.pop();
      freeze(capTop.value, capTop.time);
      continue;
    }
    if (r < 0) break; // only uncapped flows on no resource remain (cannot happen: routes are non-empty)
    resources.pop();
    for (let m = start[r]!; m < start[r + 1]!; m++) {
      const i = members[m]!;
      if (!frozen[i]) freeze(i, share);
    }
  }
  return rate;
}

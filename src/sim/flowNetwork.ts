/**
 * The flow-level network model (SimGrid's LV08 structure; Velho & Legrand 2009): every message
 * is a flow over a route of resources (directed links); each flow first waits out a latency
 * phase, then moves its bytes at the rate the resources give it under max-min fairness
 * ({@link maxMinRates}), bounded by its own cap. Rates are re-planned whenever a flow enters its
 * bandwidth phase, a flow completes, or a traced resource changes capacity, so arrival times
 * are not known when a message is sent: callers ask {@link FlowNetwork.nextEventTime}, and
 * {@link FlowNetwork.advanceTo} that time, which returns the flows that completed.
 *
 * What the phases hold is the caller's business ({@link Network} puts the TCP model's slow-start
 * stall in the latency phase and its window bound in the cap). With one flow, no latency phase
 * and no cap, a flow of w wire bytes on a resource of rate c completes after w·8/c: the FIFO
 * link's serialisation time, so the flow model reduces to the per-link model for a lone flow.
 *
 * Cost per event: O(F·L·log R) for F flows in their bandwidth phase (settling, re-planning, and
 * finding the next completion are each linear in F), never O(F²).
 */
import { EventQueue } from './eventQueue.js';
import { maxMinRates, type MaxMinFlow } from './maxMin.js';
import type { CapacityTrace } from './trace.js';

/** A resource: a directed link with a fixed rate or a bandwidth trace. */
export interface FlowResource {
  name: string;
  /** Rate in bit/s when there is no trace. */
  bandwidthBps: number;
  trace?: CapacityTrace;
}

/** What to start. */
export interface FlowStart<T> {
  route: readonly number[];
  wireBytes: number;
  /** Seconds before the flow starts using bandwidth. */
  latencyS: number;
  /** The flow's own rate bound, bit/s (Infinity for none). */
  capBps: number;
  tag: T;
}

/** A flow that finished moving its bytes. */
export interface FlowDone<T> {
  tag: T;
  /** When its last byte left the bottleneck (before any propagation). */
  time: number;
  startTime: number;
}

interface Flow<T> extends MaxMinFlow {
  tag: T;
  startTime: number;
  remaining: number; // bytes, as of `settledAt`
  rate: number; // bit/s
  finishAt: number;
}

/** Flows over shared resources with max-min sharing. */
export class FlowNetwork<T> {
  private readonly resources: FlowResource[];
  private readonly waiting = new EventQueue<Flow<T>>();
  private active: Flow<T>[] = [];
  /** Active flows per resource (to know which traces matter and for fair-share estimates). */
  private readonly load: Int32Array;
  /** Indices of resources with a trace. */
  private readonly traced: number[];
  private settledAt = 0;
  private nextFinish = Infinity;
  private replans = 0;

  constructor(resources: readonly FlowResource[]) {
    resources.forEach((r, i) => {
      if (r.trace === undefined && !(r.bandwidthBps > 0 && r.bandwidthBps < Infinity)) {
        throw new Error(`FlowNetwork: resource ${i} (${r.name}) needs a finite bandwidth > 0 or a trace, got ${r.bandwidthBps}`);
      }
    });
    this.resources = [...resources];
    this.load = new Int32Array(resources.length);
    this.traced = resources.flatMap((r, i) => (r.trace === undefined ? [] : [i]));
  }

  /** Flows in their bandwidth phase. */
  get activeCount(): number {
    return this.active.length;
  }

  /** Flows still in their latency phase. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Rate re-plans so far (a cost counter for benchmarks). */
  get replanCount(): number {
    return this.replans;
  }

  /** The resource's rate at t, bit/s. */
  capacityAt(resource: number, t: number): number {
    const r = this.resources[resource] as FlowResource;
    return r.trace === undefined ? r.bandwidthBps : r.trace.rateAt(t);
  }

  /**
   * The rate a new flow on `route` would get at t if everyone shared equally: the least of
   * capacity / (flows + 1) over its resources. O(route length).
   */
  fairShare(route: readonly number[], t: number): number {
    let share = Infinity;
    for (const r of route) share = Math.min(share, this.capacityAt(r, t) / ((this.load[r] as number) + 1));
    return share;
  }

  /**
   * Starts a flow at `now` (≥ the last time advanced to). Call {@link FlowNetwork.nextEventTime}
   * afterwards: the flow may have moved the next event earlier.
   */
  start(now: number, spec: FlowStart<T>): void {
    if (now < this.settledAt) throw new Error(`FlowNetwork.start: now (${now}) is before the network's time (${this.settledAt})`);
    for (const r of spec.route) {
      if (!Number.isInteger(r) || r < 0 || r >= this.resources.length) throw new Error(`FlowNetwork.start: no resource ${r}`);
    }
    if (!(spec.wireBytes >= 0) || !(spec.latencyS >= 0) || !(spec.capBps > 0)) {
      throw new Error(`FlowNetwork.start: wireBytes and latencyS must be >= 0 and capBps > 0, got ${spec.wireBytes}, ${spec.latencyS}, ${spec.capBps}`);
    }
    const flow: Flow<T> = {
      route: spec.route,
      cap: spec.capBps,
      tag: spec.tag,
      startTime: now,
      remaining: spec.wireBytes,
      rate: 0,
      finishAt: Infinity,
    };
    this.waiting.push(now + spec.latencyS, flow);
  }

  /** Time of the next event (a flow leaving its latency phase or completing, or a trace step). */
  nextEventTime(): number {
    let t = Math.min(this.waiting.peekTime(), this.nextFinish);
    if (this.active.length > 0) {
      for (const r of this.traced) {
        if ((this.load[r] as number) > 0) t = Math.min(t, (this.resources[r] as FlowResource).trace!.nextChange(this.settledAt));
      }
    }
    return t;
  }

  /**
   * Processes every event up to and including `t`, in time order, and returns the flows that
   * completed (in completion order, ties in start order).
   */
  advanceTo(t: number): FlowDone<T>[] {
    const done: FlowDone<T>[] = [];
    // Bounded: each pass handles at least one event at a time ≤ t, and events are finite
    // (each flow enters and leaves once; trace steps are strictly increasing).
    for (;;) {
      const e = this.nextEventTime();
      if (!(e <= t) || e === Infinity) break;
      this.settle(e);
      while (this.waiting.size > 0 && this.waiting.peekTime() <= e) {
        const f = this.waiting.popValue() as Flow<T>;
        if (f.remaining <= 0) {
          done.push({ tag: f.tag, time: e, startTime: f.startTime });
          continue;
        }
        this.active.push(f);
        for (const r of f.route) this.load[r]! += 1;
      }
      if (this.nextFinish <= e) {
        const keep: Flow<T>[] = [];
        for (const f of this.active) {
          if (f.finishAt <= e) {
            done.push({ tag: f.tag, time: f.finishAt, startTime: f.startTime });
            for (const r of f.route) this.load[r]! -= 1;
          } else {
            keep.push(f);
          }
        }
        this.active = keep;
      }
      // A trace step re-plans too (capacities changed) even if no flow came or went.
      this.replan(e);
    }
    if (t > this.settledAt && t < Infinity) this.settle(t);
    return done;
  }

  /** Moves every active flow's remaining bytes forward to time `t`. */
  private settle(t: number): void {
    const dt = t - this.settledAt;
    if (dt > 0) {
      for (const f of this.active) f.remaining = Math.max(0, f.remaining - (f.rate * dt) / 8);
    }
    this.settledAt = t;
  }

  /** Recomputes max-min rates at `t` and each flow's projected finish. */
  private replan(t: number): void {
    this.replans++;
    const cap = new Float64Array(this.resources.length);
    for (let r = 0; r < cap.length; r++) cap[r] = (this.load[r] as number) > 0 ? this.capacityAt(r, t) : 0;
    const rates = maxMinRates(cap, this.active);
    let next = Infinity;
    this.active.forEach((f, i) => {
      f.rate = rates[i] as number;
      f.finishAt = f.rate > 0 ? t + (f.remaining * 8) / f.rate : Infinity;
      if (f.finishAt < next) next = f.finishAt;
    });
    this.nextFinish = next;
  }
}

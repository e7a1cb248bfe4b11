/**
 * Client on/off schedules. Format, one change per line:
 *
 *   time_s  client  state
 *
 * `client` is a client index (0, 1, …) or `*` for every client; `state` is `on`/`off` (or
 * `1`/`0`). A client is on until its first line says otherwise; at any time its state is the
 * one of its latest line at or before that time, a line for the client itself overriding a `*`
 * line of the same time. The schedule does not loop: the last state holds. Empty lines and
 * lines starting with `#` are ignored.
 *
 * @example
 *   # client 3 is off from 120 s to 300 s; everyone is off for a maintenance window
 *   120 3 off
 *   300 3 on
 *   3600 * off
 *   3900 * on
 */

interface Change {
  time: number;
  on: boolean;
  /** 1 for a client's own line, 0 for `*` (own lines win ties). */
  own: number;
}

/** A parsed on/off schedule. */
export class AvailabilityTrace {
  private readonly perClient = new Map<number, Change[]>();
  private readonly everyone: Change[] = [];

  /** Parses schedule text; errors name the source and the line. */
  static parse(text: string, source = 'availability trace'): AvailabilityTrace {
    const trace = new AvailabilityTrace();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const [t, who, state, ...rest] = line.split(/[\s,]+/);
      const time = Number(t);
      const at = `${source}: line ${i + 1}`;
      if (rest.length > 0 || state === undefined) throw new Error(`${at}: expected "time_s client state", got ${JSON.stringify(raw)}`);
      if (!Number.isFinite(time) || time < 0) throw new Error(`${at}: time_s must be a number >= 0, got ${JSON.stringify(t)}`);
      const on = state === 'on' || state === '1' ? true : state === 'off' || state === '0' ? false : null;
      if (on === null) throw new Error(`${at}: state must be on, off, 1 or 0, got ${JSON.stringify(state)}`);
      if (who === '*') {
        trace.everyone.push({ time, on, own: 0 });
      } else {
        const k = Number(who);
        if (!Number.isInteger(k) || k < 0) throw new Error(`${at}: client must be an integer >= 0 or *, got ${JSON.stringify(who)}`);
        const list = trace.perClient.get(k) ?? [];
        list.push({ time, on, own: 1 });
        trace.perClient.set(k, list);
      }
    });
    const order = (a: Change, b: Change): number => a.time - b.time;
    trace.everyone.sort(order);
    for (const list of trace.perClient.values()) list.sort(order);
    return trace;
  }

  /** Whether `client` is on at time `t` (seconds). */
  isOn(client: number, t: number): boolean {
    const a = latest(this.perClient.get(client), t);
    const b = latest(this.everyone, t);
    if (a === undefined) return b === undefined ? true : b.on;
    if (b === undefined) return a.on;
    return a.time >= b.time ? a.on : b.on;
  }
}

/** The last change at or before t in a time-sorted list (stable: later lines win ties). */
function latest(list: Change[] | undefined, t: number): Change | undefined {
  if (list === undefined) return undefined;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as Change).time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : list[lo - 1];
}

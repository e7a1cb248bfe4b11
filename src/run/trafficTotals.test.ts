import { describe, expect, it } from 'vitest';
import { TrafficTotals, type TrafficRecord } from './trafficLog.js';

let seq = 0;
function rec(src: string, dst: string, kind: TrafficRecord['kind'], raw: number, wire: number, round = 0, step = -1): TrafficRecord {
  return { seq: seq++, round, step, src, dst, kind, codec: 'none', rawBytes: raw, wireBytes: wire, sendTime: 0, recvTime: 1, retransmissions: 0, dropped: false };
}

describe('TrafficTotals: every byte attributed', () => {
  it('splits directions into up, down and internal, and keeps codec weights out of the raw side', () => {
    const t = new TrafficTotals();
    t.add(rec('federator', 'client-0', 'weights.down', 100, 100));
    t.add(rec('federator', 'client-0', 'codec.down', 400, 100));
    t.add(rec('federator', 'server', 'control', 20, 20));
    t.add(rec('client-0', 'server', 'features.s1', 1000, 10, 0, 0));
    t.add(rec('server', 'client-0', 'features.s2', 1000, 10, 0, 0));
    t.add(rec('client-0', 'federator', 'codec.up', 400, 50));
    expect({ up: t.up, down: t.down, internal: t.internal, all: t.all }).toEqual({ up: 60, down: 210, internal: 20, all: 290 });
    expect(t.nonCodecRaw).toBe(2120);
    expect({ raw: t.splitRaw, wire: t.splitWire }).toEqual({ raw: 2000, wire: 20 });
  });

  it('counts every byte of an abandoned batch, before and after the notice, and nothing else', () => {
    const t = new TrafficTotals();
    t.add(rec('client-1', 'server', 'features.s1', 1000, 30, 2, 5));
    t.add(rec('client-1', 'server', 'features.s1', 1000, 31, 2, 6)); // the next batch: not wasted
    t.add(rec('client-0', 'server', 'features.s1', 1000, 32, 2, 5)); // another client's batch 5: not wasted
    t.abandon(1, 2, 5);
    t.add(rec('client-1', 'server', 'control', 40, 40, 2, 5)); // the notice
    t.add(rec('server', 'client-1', 'features.s2', 1000, 20, 2, 5)); // a reply already under way
    expect(t.wasted()).toEqual({ 'features.s1': 30, control: 40, 'features.s2': 20, total: 90 });
  });
});

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuck, withDuck } from './duck.js';
import { loadTrafficLog } from './traffic.js';
import { codecCompute, kindBytes, linkBusy } from './queries.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'splitwire-roi-queries-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reference: length of a union of intervals, by sorting and merging. */
function unionLength(intervals: Array<[number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (s > end) {
      if (end > start) total += end - start;
      start = s;
      end = e;
    } else {
      end = Math.max(end, e);
    }
  }
  if (end > start) total += end - start;
  return total;
}

const msg = (i: number, src: string, dst: string, s: number, e: number | null, wire: number): string =>
  JSON.stringify({
    seq: i, round: 0, step: i, src, dst, kind: 'features.s1', codec: 'none', rawBytes: wire * 4, wireBytes: wire,
    sendTime: s, recvTime: e, retransmissions: 0, dropped: e === null,
  });

describe('linkBusy', () => {
  it('is the length of the union of in-flight intervals, per client and direction', async () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 50 }));
    const message = fc.record({ client: fc.integer({ min: 0, max: 2 }), up: fc.boolean(), iv: interval, lost: fc.boolean() });
    let run = 0;
    const db = await openDuck();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 30 }), async (messages) => {
          const path = join(dir, `busy-${run++}.ndjson`);
          const lines = messages.map((m, i) => {
            const c = `client-${m.client}`;
            const [s, len] = m.iv;
            return msg(i, m.up ? c : 'server', m.up ? 'server' : c, s / 10, m.lost ? null : (s + len) / 10, 100);
          });
          await writeFile(path, lines.join('\n') + '\n');
          const table = `t${run}`;
          const busy = await linkBusy(db, await loadTrafficLog(db, path, { table }));
          await db.exec(`DROP TABLE ${table}`);
          for (const link of busy) {
            const mine = messages.filter(
              (m) => !m.lost && `client-${m.client}` === link.client && (m.up ? 'up' : 'down') === link.direction,
            );
            const expected = unionLength(mine.map((m) => [m.iv[0] / 10, (m.iv[0] + m.iv[1]) / 10]));
            expect(link.busySeconds).toBeCloseTo(expected, 9);
            expect(link.wireBytes).toBe(mine.length * 100);
            expect(link.rawBytes).toBe(mine.length * 400);
          }
          const links = new Set(messages.filter((m) => !m.lost).map((m) => `${m.client}/${m.up}`));
          expect(busy.length).toBe(links.size);
        }),
        { seed: 42, numRuns: 30 },
      );
    } finally {
      db.close();
    }
  }, 30_000);
});

describe('kindBytes', () => {
  it('sums sent bytes = delivered + dropped, and leaves rawBytes null when a row lacks it', async () => {
    const path = join(dir, 'mixed.ndjson');
    const lines = [msg(0, 'client-0', 'server', 0, 1, 10), msg(1, 'client-0', 'server', 1, null, 30)];
    const noRaw = JSON.parse(msg(2, 'server', 'client-0', 2, 3, 5)) as Record<string, unknown>;
    delete noRaw.rawBytes;
    lines.push(JSON.stringify(noRaw));
    await writeFile(path, lines.join('\n') + '\n');
    const kinds = await withDuck(async (db) => kindBytes(db, await loadTrafficLog(db, path, { table: 't' })));
    expect(kinds).toEqual([
      { direction: 'down', kind: 'features.s1', messages: 1, wireBytes: 5, rawBytes: null, dropped: 0, retransmissions: 0 },
      { direction: 'up', kind: 'features.s1', messages: 2, wireBytes: 40, rawBytes: 160, dropped: 1, retransmissions: 0 },
    ]);
  });
});

describe('codecCompute', () => {
  it('sums encode and decode durations per device and ignores other tasks', async () => {
    const rows = await withDuck((db) => codecCompute(db, 'test/fixtures/roi/small/timeline.ndjson'));
    expect(rows).toHaveLength(2);
    expect(rows![0]).toMatchObject({ device: 'edge-cpu', tasks: 4 });
    expect(rows![0]!.seconds).toBeCloseTo(3.0, 9);
    expect(rows![1]).toMatchObject({ device: 'server-gpu', tasks: 4 });
    expect(rows![1]!.seconds).toBeCloseTo(1.0, 9);
  });

  it('returns null when there is no timeline', async () => {
    expect(await withDuck((db) => codecCompute(db, join(dir, 'none.ndjson')))).toBeNull();
  });
});

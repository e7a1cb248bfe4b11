import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatComparison, readRunTraffic } from './compare.js';

function run(dir: string, lines: object[], rounds: number[]): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'traffic.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ rounds: rounds.map((t, round) => ({ round, simulatedSeconds: t })) }));
  return dir;
}

const rec = (round: number, kind: string, raw: number, wire: number, sendTime: number, recvTime: number | null): object => ({
  seq: 0, round, step: 0, src: 'client-0', dst: 'server', kind, codec: 'quant8', rawBytes: raw, wireBytes: wire, sendTime, recvTime, retransmissions: 0, dropped: recvTime === null,
});

describe('splitwire compare', () => {
  it('says bytes are equal when every kind and round agrees, whatever the times', () => {
    const d = mkdtempSync(join(tmpdir(), 'splitwire-compare-'));
    try {
      const a = run(join(d, 'a'), [rec(0, 'features.s1', 400, 100, 0, 0.01), rec(1, 'features.s1', 400, 100, 1, 1.01)], [0.5, 1]);
      const b = run(join(d, 'b'), [rec(0, 'features.s1', 400, 100, 0, 0.2), rec(1, 'features.s1', 400, 100, 3, 3.5)], [2, 4]);
      const c = formatComparison(readRunTraffic(a), readRunTraffic(b));
      expect(c.equal).toBe(true);
      expect(c.text).toContain('round 1');
      expect(c.text).toContain('4.00×'); // round 1: 2 s measured against 0.5 s simulated
      const e = run(join(d, 'e'), [rec(0, 'features.s1', 400, 100, 0, 0.2), rec(1, 'features.s1', 400, 101, 3, 3.5)], [2, 4]);
      const diff = formatComparison(readRunTraffic(a), readRunTraffic(e));
      expect(diff.equal).toBe(false);
      expect(diff.text).toContain('DIFFER');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

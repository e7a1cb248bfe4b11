import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TimelineLog, TrafficLog } from './trafficLog.js';

const dir = mkdtempSync(join(tmpdir(), 'splitwire-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('traffic and timeline logs', () => {
  it('hold every appended line on disk after flush(), each ending with the run id', async () => {
    const path = join(dir, 'traffic.ndjson');
    const log = new TrafficLog(path, 'abc');
    for (let seq = 0; seq < 3; seq++) {
      log.append({ seq, round: 0, step: 0, src: 'client-0', dst: 'server', kind: 'features.s1', codec: 'none', rawBytes: 1, wireBytes: 1, sendTime: 0, recvTime: null, retransmissions: 0, dropped: true });
    }
    expect(readFileSync(path, 'utf8')).toBe(''); // chunked: nothing yet
    await log.flush();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (JSON.parse(l) as { runId: string; seq: number }).runId)).toEqual(['abc', 'abc', 'abc']);
    expect(lines[0]).toMatch(/"dropped":true,"runId":"abc"}$/);
    log.close();
    const t = new TimelineLog(join(dir, 'timeline.ndjson'), 'abc');
    t.append({ round: 0, step: 1, actor: 'server', task: 'be.train', device: 'gpu', start: 0, end: 1, flops: 5 });
    t.close();
    expect(readFileSync(join(dir, 'timeline.ndjson'), 'utf8')).toBe(
      '{"round":0,"step":1,"actor":"server","task":"be.train","device":"gpu","start":0,"end":1,"flops":5,"runId":"abc"}\n',
    );
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstBadCsvLine, firstBadJsonLine } from './lineCheck.js';
import { loadTrafficLog } from './traffic.js';
import { withDuck } from './duck.js';
import { runIdOfLog, sameRun } from './runIds.js';
import { InputError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'splitwire-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const rec = (seq: number, runId = 'r1'): string =>
  `{"seq":${seq},"round":0,"step":0,"src":"client-0","dst":"server","kind":"features.up","codec":"none","rawBytes":10,"wireBytes":10,"sendTime":0,"recvTime":1,"retransmissions":0,"dropped":false,"runId":"${runId}"}\n`;
const HEADER = 'timestamp,source,destination,bytes,kind\n';
const ROW = '1,client-0,server,100,features.up\n';

describe('bad lines are named as an editor numbers them', () => {
  it('NDJSON: the broken line itself, also through loadTrafficLog (DuckDB says one more)', async () => {
    const p = file('bad.ndjson', rec(0) + rec(1) + '{"seq":2, broken\n' + rec(3));
    expect(await firstBadJsonLine(p)).toMatchObject({ line: 3 });
    const err = await withDuck((db) => loadTrafficLog(db, p, { table: 't' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not valid JSON`));
    expect(await firstBadJsonLine(file('ok.ndjson', rec(0) + '\n' + rec(1)))).toBeNull();
    expect(await firstBadJsonLine(file('arr.ndjson', rec(0) + '[1]\n'))).toEqual({ line: 2, why: 'not a JSON object' });
  });

  it('CSV: a short row, extra columns, a quote never closed; a quoted field may hold commas and newlines', async () => {
    expect(await firstBadCsvLine(file('short.csv', HEADER + ROW + '2,client-0,server\n' + ROW))).toEqual({
      line: 3,
      why: 'has 3 fields, the header has 5 (a short row)',
    });
    expect(await firstBadCsvLine(file('extra.csv', HEADER + ROW + ROW + '3,a,b,1,k,extra\n'))).toMatchObject({ line: 4, why: expect.stringContaining('extra columns') });
    expect(await firstBadCsvLine(file('quote.csv', HEADER + ROW + '4,"client-0,server,5,x\n' + ROW))).toEqual({
      line: 3,
      why: 'a quote (") opened here is never closed',
    });
    expect(await firstBadCsvLine(file('fine.csv', HEADER + '1,"a, ""b""\nc",server,1,k\n' + ROW))).toBeNull();
  });

  it('the roi command says which line of a pilot CSV is short instead of "Error when sniffing file"', async () => {
    const p = file('pilot.csv', HEADER + ROW + ROW + '3,client-0\n' + ROW);
    const err = await withDuck((db) => loadTrafficLog(db, p, { table: 't' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`${p}:4: has 2 fields, the header has 5 (a short row)`);
  });
});

describe('run ids', () => {
  it('reads a log’s run id and refuses a log or files mixing runs', async () => {
    expect(await runIdOfLog(file('one.ndjson', rec(0) + rec(1)))).toBe('r1');
    expect(await runIdOfLog(join(dir, 'missing.ndjson'))).toBeNull();
    await expect(runIdOfLog(file('two.ndjson', rec(0) + rec(1, 'r2')))).rejects.toThrow(/mixes two runs \(run id r1 on the first line, r2 on the last\)/);
    // A line cut by a kill at the end: the last complete line counts.
    expect(await runIdOfLog(file('cut.ndjson', rec(0) + rec(1).slice(0, 40)))).toBe('r1');
    expect(sameRun([{ path: 'a', runId: 'x' }, { path: 'b', runId: null }, { path: 'c', runId: 'x' }])).toBe('x');
    expect(() => sameRun([{ path: 'a', runId: 'x' }, { path: 'b', runId: 'y' }])).toThrow('b is from run y but a is from run x');
  });
});

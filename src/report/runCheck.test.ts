import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from './build.js';
import { checkRuns } from './runCheck.js';

const FIX = 'test/fixtures/report';
let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'splitwire-runcheck-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function runCopy(name: string, summaryPatch: Record<string, unknown> | null): Promise<string> {
  const dir = join(tmp, name);
  await cp(`${FIX}/run`, dir, { recursive: true });
  if (summaryPatch !== null) {
    const s = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'summary.json'), JSON.stringify({ ...s, ...summaryPatch }));
  } else await rm(join(dir, 'summary.json'));
  return dir;
}

describe('report: complete runs of one run only', () => {
  it('refuses an interrupted run unless --partial, then labels every figure', async () => {
    const dir = await runCopy('interrupted', { status: 'interrupted', roundsCompleted: 1, roundsPlanned: 4 });
    await expect(buildReport({ dir, png: false })).rejects.toThrow(/its run was interrupted after 1 of 4 rounds; pass --partial/);
    const built = await buildReport({ dir, png: false, partial: true });
    const svgs = built.files.filter((f) => f.path.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThan(0);
    for (const f of svgs) expect(String(f.content)).toContain('PARTIAL RUN: INTERRUPTED AFTER 1 OF 4 ROUNDS');
    const html = String(built.files.find((f) => f.path.endsWith('report.html'))?.content);
    expect(html.split('partial run: interrupted after 1 of 4 rounds').length - 1).toBeGreaterThanOrEqual(svgs.length);
  }, 60_000);

  it('a killed run (logs, no summary.json) is incomplete too', async () => {
    const dir = await runCopy('killed', null);
    await expect(checkRuns([dir], null, false)).rejects.toThrow(/no summary.json: the run was killed/);
    expect(await checkRuns([dir], null, true)).toContain('partial run');
  });

  it('refuses files of different runs: summary.json against roi.json', async () => {
    const dir = await runCopy('mixed', { runId: 'aaaa' });
    await writeFile(join(dir, 'roi.json'), JSON.stringify({ splitwire: 'roi/1', inputs: { runId: 'bbbb' } }));
    await expect(checkRuns([dir], join(dir, 'roi.json'), true)).rejects.toThrow(/roi.json is from run bbbb but .*summary.json is from run aaaa/);
    expect(await checkRuns([await runCopy('complete', { runId: 'aaaa', status: 'complete' })], null, false)).toBeNull();
  });
});

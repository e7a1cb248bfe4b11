import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runReportCommand } from './command.js';
import { findChromium, withChromium } from './chromium.js';

const FIX = 'test/fixtures/report';
const chromium = await findChromium();
if (!chromium) console.warn('skipped: chromium not installed (report browser tests need /usr/bin/chromium or SPLITWIRE_CHROMIUM)');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'splitwire-report-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, out, err };
}

/** The marks each chart must draw, by chart id (Vega's SVG renderer: g.mark-<type> > path). */
const MARKS: Record<string, string> = {
  'rate-accuracy': 'g.mark-symbol path',
  'bytes-per-round': 'g.mark-rect path',
  'accuracy-vs-time': 'g.mark-line path',
  'round-timeline': 'g.mark-rect path',
};

interface PageCheck {
  errors: string[];
  requests: string[];
  marks: Record<string, number>;
  roiRows: number;
}

async function openReport(html: string): Promise<PageCheck> {
  return withChromium(chromium!, async (context) => {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts]', { timeout: 20_000 });
    const marks: Record<string, number> = {};
    for (const [id, selector] of Object.entries(MARKS)) {
      marks[id] = await page.locator(`#chart-${id} ${selector}`).count();
    }
    const roiRows = await page.locator('#section-roi table tbody tr').count();
    expect(await page.getAttribute('body', 'data-charts')).toBe('ready');
    return { errors, requests, marks, roiRows };
  });
}

describe.skipIf(!chromium)(`splitwire report in headless Chromium${chromium ? '' : ' — skipped: chromium not installed'}`, () => {
  it('renders a run folder offline: every chart drawn, no console error, no fetch', async () => {
    const dir = join(tmp, 'run');
    await cp(`${FIX}/run`, dir, { recursive: true });
    const cap = capture();
    expect(await runReportCommand([dir], cap.io)).toBe(0);
    const check = await openReport(join(dir, 'report.html'));
    expect(check.errors).toEqual([]);
    // only the page itself is loaded: vega, data and specs are inline
    expect(check.requests).toEqual([pathToFileURL(join(dir, 'report.html')).href]);
    for (const [id, count] of Object.entries(check.marks)) expect(count, `${id} marks`).toBeGreaterThan(0);
    expect(check.roiRows).toBeGreaterThan(5);
    const figures = (await readdir(join(dir, 'figures'))).sort();
    expect(figures).toEqual(
      Object.keys(MARKS).flatMap((id) => [`${id}.png`, `${id}.svg`]).sort(),
    );
    const png = await readFile(join(dir, 'figures', 'bytes-per-round.png'));
    expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    // a single run shows its one point on the rate–accuracy chart
    expect(check.marks['rate-accuracy']).toBe(1);
  }, 60_000);

  it('renders a sweep folder with one line per setting and the sensitivity table', async () => {
    const dir = join(tmp, 'sweep');
    await cp(`${FIX}/sweep`, dir, { recursive: true });
    const cap = capture();
    expect(await runReportCommand([dir, '--round', '1', '--no-png'], cap.io)).toBe(0);
    const check = await openReport(join(dir, 'report.html'));
    expect(check.errors).toEqual([]);
    expect(check.marks['rate-accuracy']).toBe(3);
    expect(check.marks['accuracy-vs-time']).toBe(3);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Sensitivity to the rate–accuracy choice');
    expect(html).toContain('Timeline of round 1');
  }, 60_000);
});

describe('splitwire report without a browser', () => {
  it('writes the page and SVG figures with --no-png, and the SVGs carry the marks', async () => {
    const dir = join(tmp, 'nopng');
    await cp(`${FIX}/run`, dir, { recursive: true });
    const cap = capture();
    expect(await runReportCommand([dir, '--no-png'], cap.io)).toBe(0);
    const figures = (await readdir(join(dir, 'figures'))).sort();
    expect(figures).toEqual(Object.keys(MARKS).map((id) => `${id}.svg`).sort());
    const svg = await readFile(join(dir, 'figures', 'round-timeline.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('mark-rect');
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    // nothing to fetch: no external script or stylesheet, and a policy that forbids fetching
    expect(/<script[^>]+src=/.test(html)).toBe(false);
    expect(/<link[^>]+href=/.test(html)).toBe(false);
    expect(html).toContain(`content="default-src 'none';`);
  }, 30_000);

  it('uses roi.json when the folder has one', async () => {
    const dir = join(tmp, 'withroi');
    await cp(`${FIX}/run`, dir, { recursive: true });
    const { runRoiCommand } = await import('../roi/index.js');
    const cap = capture();
    expect(
      await runRoiCommand(
        [join(dir, 'traffic.ndjson'), '--tariff', 'scenarios/tariffs/satellite.yaml', '--out', join(dir, 'roi.json')],
        cap.io,
      ),
    ).toBe(0);
    expect(await runReportCommand([dir, '--no-png'], capture().io)).toBe(0);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('LEO satellite business plan');
    expect(html).toContain(`From ${join(dir, 'roi.json')}`);
  }, 30_000);

  it('rejects a folder that is neither a run nor a sweep, writing nothing', async () => {
    const cap = capture();
    expect(await runReportCommand([tmp + '/nothing-here'], cap.io)).toBe(2);
    expect(cap.err.join('')).toMatch(/not a run folder \(no summary.json or traffic.ndjson\) nor a sweep folder/);
  });

  it('exits 2 on bad usage', async () => {
    const cap = capture();
    expect(await runReportCommand(['a', '--round', 'x'], cap.io)).toBe(2);
    expect(cap.err.join('')).toContain('--round: must be a non-negative integer, got "x"');
    const help = capture();
    expect(await runReportCommand(['--help'], help.io)).toBe(0);
    for (const flag of ['--tariff', '--round', '--no-png', '--chromium']) expect(help.out.join('')).toContain(flag);
  });
});

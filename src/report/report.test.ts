import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { appendFile, cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runReportCommand } from './command.js';
import { findChromium, withChromium } from './chromium.js';

/** The browser globals the `page.evaluate` callback below uses (it runs in Chromium, not Node). */
interface Box { left: number; top: number; right: number; bottom: number; width: number }
interface PageElement { id: string; getBoundingClientRect(): Box; querySelectorAll(selector: string): Iterable<PageElement> }
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> };
declare const window: { innerWidth: number };

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
  /** Every legend drawn, and whether its box lies inside the visible part of its chart. */
  legends: Array<{ chart: string; inside: boolean; box: number[]; visible: number[] }>;
  /** A full-page screenshot at the test's viewport (1200 px wide). */
  screenshot: Buffer;
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
    // A legend fits when its drawn box lies inside the part of its chart the reader sees: the
    // chart's container (which scrolls, hiding what overflows) clipped to the viewport.
    const legends = await page.evaluate(() =>
      [...document.querySelectorAll('.chart')].flatMap((chart) => {
        const c = chart.getBoundingClientRect();
        const visible = [Math.max(c.left, 0), c.top, Math.min(c.right, window.innerWidth), c.bottom];
        return [...chart.querySelectorAll('g.role-legend')].map((g) => {
          const b = g.getBoundingClientRect();
          const box = [b.left, b.top, b.right, b.bottom];
          const inside = b.width > 0 && b.left >= visible[0]! - 0.5 && b.top >= visible[1]! - 0.5 && b.right <= visible[2]! + 0.5 && b.bottom <= visible[3]! + 0.5;
          return { chart: chart.id, inside, box, visible };
        });
      }),
    );
    const screenshot = await page.screenshot({ type: 'png', fullPage: true });
    return { errors, requests, marks, roiRows, legends, screenshot };
  });
}

describe.skipIf(!chromium)(`splitwire report in headless Chromium${chromium ? '' : ' — skipped: chromium not installed'}`, () => {
  it('renders a run folder offline: every chart drawn, no console error, no fetch', async () => {
    const dir = join(tmp, 'run');
    await cp(`${FIX}/run`, dir, { recursive: true });
    // As a real run logs them: federator ↔ split server messages, a third panel ('other') in bytes per round.
    const control = [0, 1, 2].map(
      (round) =>
        `{"seq":${900 + round},"round":${round},"step":-1,"src":"federator","dst":"server","kind":"control","codec":"none","rawBytes":64,"wireBytes":64,"sendTime":${round},"recvTime":${round + 0.001},"retransmissions":0,"dropped":false}\n`,
    );
    await appendFile(join(dir, 'traffic.ndjson'), control.join(''));
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
    // every legend fits its chart on the screenshot (bytes per round's `kind` legend was cut off)
    expect(check.legends.map((l) => l.chart)).toContain('chart-bytes-per-round');
    for (const l of check.legends) expect(l, `${l.chart} legend ${l.box} within ${l.visible}`).toMatchObject({ inside: true });
    expect([...check.screenshot.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
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
    expect(check.legends.length).toBeGreaterThan(1);
    for (const l of check.legends) expect(l, `${l.chart} legend ${l.box} within ${l.visible}`).toMatchObject({ inside: true });
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
    // what the scores mean: the definition, the tail and trivial scores, the saved predictions
    expect(html).toContain('meanIoU is the mean over the foreground classes 1..C−1');
    expect(html).toMatch(/<td>1<\/td><th scope="row">run<\/th><td>0\.690<\/td><td>0\.710<\/td><td>0\.310<\/td><td>2<\/td>/);
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="run test-0.png"><figcaption>test-0.png · IoU 0.800/);
  }, 30_000);

  it('ranks a sweep on tail mean IoU and flags scores at or below the trivial one', async () => {
    const dir = join(tmp, 'sweep-rank');
    await cp(`${FIX}/sweep`, dir, { recursive: true });
    expect(await runReportCommand([dir, '--no-png'], capture().io)).toBe(0);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const order = [...html.matchAll(/<td>(\d)<\/td><th scope="row">([^<]+)<\/th><td>([\d.]+)/g)].map((m) => [m[1], m[2], m[3]]);
    // final IoU would put λ=0.001 (0.70) first; its tail (0.62) is below λ=0.01's (0.65)
    expect(order).toEqual([
      ['1', 'codec.lambda=0.01', '0.650'],
      ['2', 'codec.lambda=0.001', '0.620'],
      ['3', 'codec.lambda=0.1', '0.550'],
    ]);
    expect(html).not.toContain('section-predictions'); // the fixture sweep saved none
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

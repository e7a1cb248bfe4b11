/**
 * Figures for slides: SVG from Vega's own renderer in Node (View.toSVG, no browser), and PNG
 * as a headless-Chromium screenshot of each chart of the page.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { ChartSpec } from './specs.js';
import { withChromium } from './chromium.js';

/** Renders one Vega-Lite spec to an SVG document in Node. */
export async function chartSvg(spec: ChartSpec['spec']): Promise<string> {
  const compiled = compile(spec as unknown as Parameters<typeof compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Waits for the page's charts, then screenshots each `#chart-<id>` as PNG (2× for slides). */
export async function chartPngs(
  html: string,
  ids: readonly string[],
  chromiumPath: string,
): Promise<Map<string, Uint8Array>> {
  return withChromium(
    chromiumPath,
    async (context) => {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent(html, { waitUntil: 'load' });
      await page.waitForSelector('body[data-charts]', { timeout: 30_000 });
      if ((await page.getAttribute('body', 'data-charts')) !== 'ready' || errors.length > 0) {
        throw new Error(`report charts failed in Chromium: ${errors.join('; ') || 'unknown error'}`);
      }
      const out = new Map<string, Uint8Array>();
      for (const id of ids) {
        const el = await page.$(`#chart-${id} svg`);
        if (el) out.set(id, await el.screenshot({ type: 'png' }));
      }
      return out;
    },
    { deviceScaleFactor: 2 },
  );
}

/**
 * Headless Chromium for PNG figures and for testing the page: the system's browser (Debian's
 * `chromium` package), driven by playwright-core; nothing is downloaded.
 */
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Flags for a quiet, offline, sandbox-free headless run (root in CI has no user namespace). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The browser to use: `$SPLITWIRE_CHROMIUM` if set, else the first of chromium,
 * chromium-browser, google-chrome, google-chrome-stable on PATH; null when none is found.
 */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const explicit = env.SPLITWIRE_CHROMIUM;
  if (explicit) return (await executable(explicit)) ? explicit : null;
  for (const dir of (env.PATH ?? '').split(delimiter).filter((d) => d.length > 0)) {
    for (const name of NAMES) {
      const candidate = join(dir, name);
      if (await executable(candidate)) return candidate;
    }
  }
  return null;
}

/** Runs `fn` with a fresh browser context (its own user-data-dir), closed and removed after. */
export async function withChromium<T>(
  executablePath: string,
  fn: (context: BrowserContext) => Promise<T>,
  options: { deviceScaleFactor?: number } = {},
): Promise<T> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'splitwire-chromium-'));
  let context: BrowserContext | null = null;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      viewport: { width: 1200, height: 900 },
      offline: true,
    });
    return await fn(context);
  } finally {
    if (context) await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

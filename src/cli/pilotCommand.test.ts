import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: (s) => (out += s), stderr: (s) => (err += s) }, out: () => out, err: () => err };
}

describe('splitwire pilot commands', () => {
  it('are listed in the help', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const cmd of ['certs', 'serve', 'join', 'pilot', 'compare']) expect(c.out()).toContain(`  ${cmd}`);
  });

  it('certs writes a CA, a server and per-site certificates: site K is CN site-K, signed by the CA, keys private', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'splitwire-certs-'));
    try {
      const c = capture();
      expect(await main(['certs', '--out', dir, '--sites', '2'], c.io)).toBe(0);
      for (const f of ['ca.pem', 'server.pem', 'server.key', 'site-0.pem', 'site-0.key', 'site-1.pem', 'site-1.key']) expect(existsSync(join(dir, f))).toBe(true);
      const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
      const site1 = new X509Certificate(readFileSync(join(dir, 'site-1.pem')));
      const server = new X509Certificate(readFileSync(join(dir, 'server.pem')));
      expect(ca.ca).toBe(true);
      expect(site1.subject).toContain('CN=site-1');
      expect(site1.verify(ca.publicKey)).toBe(true);
      expect(site1.checkIssued(ca)).toBe(true);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(statSync(join(dir, 'site-1.key')).mode & 0o077).toBe(0);
      expect(c.out()).not.toContain('PRIVATE KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses bad usage with status 2', async () => {
    const c = capture();
    expect(await main(['certs', '--out', 'x'], c.io)).toBe(2);
    expect(await main(['certs', '--out', 'x', '--sites', '0'], c.io)).toBe(2);
    expect(c.err()).toContain('--sites: must be an integer in 1..4096, got 0');
    expect(await main(['compare', 'only-one'], c.io)).toBe(2);
    expect(await main(['serve', 'scenarios/quickstart.yaml'], c.io)).toBe(2);
    expect(await main(['join', 'scenarios/quickstart.yaml', '--site', '0'], c.io)).toBe(2);
  }, 30_000);
});

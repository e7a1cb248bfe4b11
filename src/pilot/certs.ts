/**
 * A pilot's private certificate authority: one CA, one server certificate, one client
 * certificate per site (mutual TLS). Made with the system's `openssl` command rather than a
 * JavaScript crypto package: no new dependency, keys come from the platform's vetted
 * generator, and P-256 keys take milliseconds where pure-JS RSA takes seconds.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `makeCerts` wrote. */
export interface CertFiles {
  ca: string;
  caKey: string;
  server: { cert: string; key: string };
  sites: { cert: string; key: string }[];
}

export interface CertOptions {
  /** Days the certificates stay valid (default 30: a pilot is short). */
  days?: number;
  /** Extra server names (DNS names or IP addresses) for a server on another machine. */
  serverNames?: string[];
}

/** Certificate common name of site k; the server maps a client certificate to its site by it. */
export function siteCommonName(k: number): string {
  return `site-${k}`;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ecKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  chmodSync(path, 0o600);
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)$/;

function leaf(dir: string, name: string, cn: string, ext: string[], caPem: string, caKey: string, days: number): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  ecKey(key);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', csr]);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', caPem, '-CAkey', caKey, '-CAcreateserial', '-days', String(days), '-sha256', '-extfile', extFile, '-out', cert]);
  rmSync(csr);
  rmSync(extFile);
  return { cert, key };
}

/**
 * Writes `dir/ca.pem` (+ `ca.key`, kept to add sites later, mode 0600), `dir/server.pem` /
 * `server.key` (names: localhost, 127.0.0.1, ::1 and `serverNames`) and `dir/site-K.pem` /
 * `site-K.key` for K in 0..sites-1 (client-auth only, CN and SAN URI `splitwire:site:K`).
 */
export function makeCerts(dir: string, sites: number, options: CertOptions = {}): CertFiles {
  if (!Number.isInteger(sites) || sites < 1 || sites > 4096) throw new Error(`--sites: must be an integer in 1..4096, got ${sites}`);
  const days = options.days ?? 30;
  mkdirSync(dir, { recursive: true });
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  ecKey(caKey);
  const caExt = join(dir, 'ca.ext');
  writeFileSync(caExt, '[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  openssl(['req', '-x509', '-new', '-key', caKey, '-subj', '/CN=splitwire pilot CA', '-days', String(days), '-sha256', '-config', caExt, '-extensions', 'v3', '-out', ca]);
  rmSync(caExt);
  const names = ['localhost', '127.0.0.1', '::1', ...(options.serverNames ?? [])];
  const san = names.map((n) => (IP.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  const server = leaf(dir, 'server', 'server', ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', `subjectAltName=${san}`], ca, caKey, days);
  const siteFiles: { cert: string; key: string }[] = [];
  for (let k = 0; k < sites; k++) {
    siteFiles.push(
      leaf(dir, siteCommonName(k), siteCommonName(k), ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', `subjectAltName=URI:splitwire:site:${k}`], ca, caKey, days),
    );
  }
  const serial = join(dir, 'ca.srl');
  if (existsSync(serial)) rmSync(serial);
  return { ca, caKey, server, sites: siteFiles };
}

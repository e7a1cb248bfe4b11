/** `splitwire certs`: a private CA and per-site certificates for a pilot (mutual TLS). */
import { parseArgs } from 'node:util';
import { makeCerts } from '../pilot/certs.js';
import type { Io } from './io.js';

export const CERTS_HELP = `Usage: splitwire certs --out DIR --sites N [--server-name NAME ...]

Writes a private certificate authority for a pilot (made with the system's openssl):
  DIR/ca.pem, DIR/ca.key          the CA (keep ca.key on the machine that makes certificates)
  DIR/server.pem, DIR/server.key  the server (names: localhost, 127.0.0.1, ::1, --server-name)
  DIR/site-K.pem, DIR/site-K.key  client K, for K = 0..N-1 (CN site-K; mutual TLS)
Give each site only its own site-K.pem/site-K.key and ca.pem.

Options:
  --out DIR            output folder
  --sites N            number of client sites
  --server-name NAME   another DNS name or IP address of the server (repeatable)
  --days N             validity in days (default 30)
  -h, --help           this text
`;

export async function certsCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      sites: { type: 'string' },
      'server-name': { type: 'string', multiple: true },
      days: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(CERTS_HELP);
    return 0;
  }
  if (values.out === undefined || values.sites === undefined) {
    io.stderr(`splitwire certs: --out and --sites are required\n\n${CERTS_HELP}`);
    return 2;
  }
  const sites = Number(values.sites);
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(sites) || sites < 1 || sites > 4096) {
    io.stderr(`splitwire certs: --sites: must be an integer in 1..4096, got ${values.sites}\n`);
    return 2;
  }
  if (!Number.isInteger(days) || days < 1) {
    io.stderr(`splitwire certs: --days: must be a positive integer, got ${values.days}\n`);
    return 2;
  }
  const files = makeCerts(values.out, sites, { days, serverNames: values['server-name'] ?? [] });
  io.stdout(`wrote ${files.ca}, ${files.server.cert}/.key and ${files.sites.length} site certificates (site-0 … site-${sites - 1}) in ${values.out}\n`);
  return 0;
}

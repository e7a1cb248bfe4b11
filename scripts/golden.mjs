#!/usr/bin/env node
// Golden check for behaviour-preserving refactors (issue 14): runs the quickstart with three
// codecs for two rounds and a seeded `check`, and prints the SHA-256 of what they wrote.
// Every traffic line carries `runId` (a hash of the resolved scenario and the version), so the
// traffic log's hash is printed twice: as written, and with `runId` stripped from each line.
//
//   npm run build && node scripts/golden.mjs            print the hashes
//   node scripts/golden.mjs --verify golden/sha256.txt  exit 1 if any hash differs from the file
//
// Needs a build (dist/). Takes a few minutes on two cores.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join('dist', 'cli', 'main.js');
const sha = (text) => createHash('sha256').update(text).digest('hex');
const stripRunId = (text) =>
  text
    .split('\n')
    .map((line) => (line === '' ? line : JSON.stringify({ ...JSON.parse(line), runId: undefined })))
    .join('\n');

function splitwire(args) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`splitwire ${args.join(' ')}: exit ${r.status}`);
  }
  return r.stdout;
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const lines = [];
const root = mkdtempSync(join(tmpdir(), 'splitwire-golden-'));
try {
  const runs = [
    ['none', []],
    ['quant', ['--set', 'codec.name=quant', '--set', 'codec.bits=8']],
    ['factorized', ['--set', 'codec.name=factorized']],
  ];
  for (const [name, extra] of runs) {
    if (only !== undefined && only !== name && only !== 'run') continue;
    const out = join(root, name);
    splitwire(['run', 'scenarios/quickstart.yaml', '--out', out, '--quiet', '--set', 'protocol.rounds=2', ...extra]);
    const traffic = readFileSync(join(out, 'traffic.ndjson'), 'utf8');
    const timeline = readFileSync(join(out, 'timeline.ndjson'), 'utf8');
    lines.push(`run/${name} traffic.ndjson ${sha(traffic)}`);
    lines.push(`run/${name} traffic.ndjson-without-runId ${sha(stripRunId(traffic))}`);
    lines.push(`run/${name} timeline.ndjson ${sha(timeline)}`);
  }
  if (only === undefined || only === 'check') {
    const stdout = splitwire(['check', 'scenarios/quickstart.yaml', '--runs', '5', '--seed', '42']);
    lines.push(`check stdout ${sha(stdout)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.stdout.write(`${lines.join('\n')}\n`);

const verify = process.argv.indexOf('--verify');
if (verify !== -1) {
  const expected = new Map(
    readFileSync(process.argv[verify + 1], 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => {
        const parts = l.trim().split(/\s+/);
        return [parts.slice(0, -1).join(' '), parts.at(-1)];
      }),
  );
  const differ = lines.filter((l) => {
    const parts = l.split(' ');
    return expected.get(parts.slice(0, -1).join(' ')) !== parts.at(-1);
  });
  if (differ.length > 0) {
    process.stderr.write(`golden: ${differ.length} hash(es) differ:\n${differ.join('\n')}\n`);
    process.exit(1);
  }
  process.stderr.write('golden: all hashes match\n');
}

#!/usr/bin/env node
// Regenerates the synthetic traces shipped in scenarios/traces/ from fixed seeds.
// They are synthetic (a seeded log-normal AR(1) rate process with outages, src/sim/syntheticTrace.ts),
// not measurements. Usage: npm run build && node scripts/generate-traces.mjs [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, syntheticTrace } from '../dist/sim/index.js';

const out = process.argv[2] ?? 'scenarios/traces';
mkdirSync(out, { recursive: true });

const bandwidth = [
  // name, options, also write the (larger) Mahimahi form
  ['lte-urban', { seed: 1, durationS: 60, medianMbps: 12, sigma: 0.6, correlation: 0.9, outageProb: 0.001 }, true],
  ['lte-rural-up', { seed: 2, durationS: 60, medianMbps: 3, sigma: 0.8, correlation: 0.95, outageProb: 0.004, outageMeanS: 1.5 }, true],
  ['satellite-down', { seed: 3, durationS: 60, medianMbps: 20, sigma: 0.3, correlation: 0.98, outageProb: 0.0005, outageMeanS: 3 }, false],
];
for (const [name, options, mahimahi] of bandwidth) {
  const t = syntheticTrace(options);
  if (mahimahi) writeFileSync(join(out, `${name}.mahi`), t.mahimahi);
  writeFileSync(join(out, `${name}.mbps`), `# synthetic: scripts/generate-traces.mjs ${JSON.stringify(options)}\n# time_s throughput_Mbps\n${t.mbps}`);
  console.log(`${name}: mean ${t.meanMbps.toFixed(2)} Mbit/s over ${options.durationS} s`);
}

// Latency: an RTT that wanders around 60 ms with occasional 300 ms spikes (handover-like), 0.5 s steps.
const rng = new Rng(4, 'synthetic-rtt');
const lines = ['# synthetic: scripts/generate-traces.mjs seed 4', '# time_s rtt_ms'];
let x = 0;
for (let i = 0; i < 120; i++) {
  x = 0.8 * x + rng.normal(0, 0.15);
  const spike = rng.uniform() < 0.02 ? 250 : 0;
  lines.push(`${(i * 0.5).toFixed(1)} ${(60 * Math.exp(x) + spike).toFixed(1)}`);
}
writeFileSync(join(out, 'rtt-cellular.txt'), `${lines.join('\n')}\n`);

// Availability: an example schedule (hand-written shape, seeded times).
const a = new Rng(5, 'synthetic-availability');
const sched = ['# synthetic: scripts/generate-traces.mjs seed 5', '# time_s client state  (client index or *; on/off)'];
for (let k = 0; k < 8; k++) {
  const off = 30 + Math.round(a.uniform() * 600);
  sched.push(`${off} ${k} off`, `${off + 20 + Math.round(a.uniform() * 120)} ${k} on`);
}
sched.push('900 * off', '960 * on');
writeFileSync(join(out, 'availability-example.txt'), `${sched.join('\n')}\n`);
console.log(`wrote ${out}`);

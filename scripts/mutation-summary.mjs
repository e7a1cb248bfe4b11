#!/usr/bin/env node
// Summarises a Stryker JSON report (`npm run mutate` writes reports/mutation/mutation.json):
// per file, mutants by status and the score (killed + timed out over all, and over those with
// coverage), then every survivor and uncovered mutant as `file:line mutator: original -> replacement`.
// Usage: node scripts/mutation-summary.mjs [reports/mutation/mutation.json] [--survivors]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
const listSurvivors = args.includes('--survivors');
const report = JSON.parse(readFileSync(file, 'utf8'));
const rows = [];
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
const left = [];
for (const [name, f] of Object.entries(report.files)) {
  const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  const lines = f.source.split('\n');
  for (const m of f.mutants) {
    const k = m.status in c ? m.status : 'other';
    c[k]++;
    total[k]++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      const l = m.location.start.line;
      const original = (lines[l - 1] ?? '').trim().slice(0, 90);
      left.push(`${name}:${l} ${m.status} ${m.mutatorName}: ${original} -> ${String(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 90)}`);
    }
  }
  rows.push([name, c]);
}
const pct = (a, b) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)} %`);
const line = (name, c) => {
  const all = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
  const detected = c.Killed + c.Timeout;
  return `| ${name} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${pct(detected, all)} | ${pct(detected, all - c.NoCoverage)} |`;
};
console.log('| file | killed | timed out | survived | no coverage | score (detected / all) | covered score |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [name, c] of rows) console.log(line(name, c));
console.log(line('**all**', total));
if (total.other > 0) console.log(`\n${total.other} mutants with another status (ignored as static, compile or runtime errors) left out of the scores.`);
if (listSurvivors) console.log(`\n${left.join('\n')}`);

#!/usr/bin/env node
// Summarises a Stryker JSON report (`npm run mutate` writes reports/mutation/mutation.json):
// per file, mutants by status and the score (killed + timed out over all, and over those with
// coverage). With --triage, every survivor and uncovered mutant is sorted by the rules below
// (equivalent / unit-level / a gap in the checker's world / a gap in its properties) and listed
// as markdown (docs/mutation-survivors.md is this output).
// Usage: node scripts/mutation-summary.mjs [reports/mutation/mutation.json] [--triage]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
const triage = args.includes('--triage');
const report = JSON.parse(readFileSync(file, 'utf8'));

/**
 * Triage rules, first match wins (a line's text and the mutator decide, so the triage is
 * reproducible; the rules are coarse, and a `property gap` is a candidate until looked at):
 * - `equivalent`: no world can tell the mutant from the original;
 * - `unit`: not observable by a protocol property (the link's loss draws and their costs, traces,
 *   Gilbert–Elliott bursts, argument checks no caller violates): the module's own tests
 *   (src/sim/link.test.ts, lossModel.test.ts) are its killers, and are not among the checker's;
 * - `world gap`: behaviour the checker's stand-in world does not have (loss gates, codec slot
 *   names and round-level fields it does not read): the world needs extending, then the
 *   properties judge it (learned-codec sync and weight deltas were one, until the world got them);
 * - `property gap`: reachable by `check`, and no property tells.
 */
const RULES = [
  ['equivalent', 'task ids only need to be distinct (nextTaskId ± 1, taskId += / -= 1)', (m, src) => /nextTaskId [+-] 1|taskId [+-]= 1|next\(context\)/.test(src) && /Arithmetic|Assignment/.test(m.mutatorName)],
  ['equivalent', 'initial context arrays, overwritten before first read', (m, src) => m.mutatorName === 'ArrayDeclaration' && /^(selected|received|reported|turnQueue|lastEffects): \[\],?$/.test(src)],
  [
    'equivalent',
    "the client's stale-completion guard: only completions of tasks it abandoned reach it (its states take their current task's), and freeing no blobs is a no-op",
    (_m, src) => /event\.taskId !== context\.nextTaskId && event\.outputs\.length > 0/.test(src),
  ],
  [
    'equivalent',
    "an actor's one kind of timer: the client sets only step timers, the split server only turn timers, the federator only deadline timers, and only timer events carry a round and step, so the type and name tests are redundant with the round and step tests after them (whose mutants are killed)",
    (_m, src, _f, _line, orig) =>
      /event\.type === 'timer' && event\.name === '(step|turn|deadline)'/.test(src) && /^(event\.type === 'timer'( && event\.name === '(step|turn|deadline)')?|event\.name === '(step|turn|deadline)')$/.test(orig),
  ],
  [
    'equivalent',
    'turn timers are armed only in SFLV2, with an epoch that grows across rounds: the epoch test alone names the current turn (its mutants are killed)',
    (_m, src, _f, _line, orig) =>
      /ctx\.variant === 'sflv2' && event\.round === ctx\.round && event\.step === ctx\.turnEpoch/.test(src) &&
      ["ctx.variant === 'sflv2' && event.round === ctx.round", "ctx.variant === 'sflv2'", 'event.round === ctx.round'].includes(orig),
  ],
  [
    'equivalent',
    "isDone's type test: only compute.done events carry a task; each caller's task is unique when it waits (the federator's two tasks never overlap, the client also matches the task id)",
    (_m, src, _f, _line, orig) => /return event\.type === 'compute\.done' && event\.task === task;/.test(src) && orig !== "event.type === 'compute.done' && event.task === task",
  ],
  [
    'equivalent',
    "isMessage's step test: every call that passes a step names a kind that carries one (features.s2, gradients.s1), calls without one name kinds without",
    (_m, src, _f, _line, orig) => /if \(step !== undefined && 'step' in event\.msg && event\.msg\.step !== step\) return false;/.test(src) && orig === "step !== undefined && 'step' in event.msg",
  ],
  ['equivalent', "weights.up's codec flag: no receiver reads it (the federator knows from codecSync which rounds send codec.up)", (_m, src, f) => f.endsWith('client.ts') && /^\.\.\.\(codec \? \{ codec: true \} : \{\}\),$/.test(src)],
  ['equivalent', 'blob ids start at 1: a placeholder id -1 is the only one below 1', (m) => /^u\.blob\.id (<= 0|> 0)$/.test(String(m.replacement ?? ''))],
  ['world gap', 'loss gates (skipped notices) and the loss they read', (_m, src) => /isSkipped|SKIPPED|lastLoss/.test(src)],
  ['world gap', 'codec slot names and round-level step fields the stand-in does not read', (m, src) => (/slot: '/.test(src) && m.mutatorName === 'StringLiteral') || (/step: -1/.test(src) && m.mutatorName === 'UnaryOperator')],
  ['unit', 'link traces, Gilbert–Elliott bursts and argument checks', (_m, src, f) => f.endsWith('link.ts') && /trace|Trace|burst|carry|level|throw new Error|Number\.is|bytes < 0|wireBytesOf|packetCount|field = /.test(src)],
  ['unit', 'loss draws and their costs (the link stays self-consistent whatever it draws; link.test.ts tests the rates)', (_m, _src, f, line) => f.endsWith('link.ts') && line >= 264 && line <= 296],
];

function categorise(m, src, f, orig) {
  for (const [cat, why, test] of RULES) if (test(m, src, f, m.location.start.line, orig)) return [cat, why];
  return ['property gap', 'reachable by check, no property tells'];
}

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
      const src = (lines[m.location.start.line - 1] ?? '').trim();
      // The mutated expression itself (on one line), to tell the mutants of a line apart.
      const { start, end } = m.location;
      const orig = start.line === end.line ? (lines[start.line - 1] ?? '').slice(start.column - 1, end.column - 1) : '';
      const [cat, why] = categorise(m, src, name, orig);
      left.push({ name, line: m.location.start.line, status: m.status, mutator: m.mutatorName, src, replacement: String(m.replacement ?? '').replace(/\s+/g, ' '), cat, why });
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
if (triage) {
  const detected = total.Killed + total.Timeout;
  const all = detected + total.Survived + total.NoCoverage;
  const by = (cat) => left.filter((x) => x.cat === cat);
  const equivalent = by('equivalent').length;
  const unit = by('unit').length;
  const world = by('world gap').length;
  console.log(`\nSurvivors and uncovered mutants: ${left.length}: equivalent ${equivalent}, unit-level ${unit}, world gaps ${world}, property gaps ${by('property gap').length}.`);
  console.log(`Score over non-equivalent mutants: ${pct(detected, all - equivalent)}; leaving out the unit-level ones too: ${pct(detected, all - equivalent - unit)}.`);
  console.log('\n| category | why | mutants |\n| --- | --- | --- |');
  const groups = new Map();
  for (const x of left) groups.set(`${x.cat}\t${x.why}`, (groups.get(`${x.cat}\t${x.why}`) ?? 0) + 1);
  for (const [k, n] of groups) console.log(`| ${k.split('\t')[0]} | ${k.split('\t')[1]} | ${n} |`);
  console.log('\n| file:line | status | mutator | category | original → replacement |\n| --- | --- | --- | --- | --- |');
  const cell = (s) => s.replace(/\|/g, '\\|').slice(0, 100);
  for (const x of left) console.log(`| ${x.name}:${x.line} | ${x.status} | ${x.mutator} | ${x.cat} | \`${cell(x.src)}\` → \`${cell(x.replacement)}\` |`);
}

import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { checkProtocol } from './checker.js';
import { CHECK_HELP, formatResult, runCheckCommand } from './command.js';
import { PLANTED_BUGS } from './plantedBugs.js';
import { PROPERTIES } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';

function capture(): { io: { stdout(s: string): void; stderr(s: string): void }; out: () => string; err: () => string } {
  let o = '';
  let e = '';
  return { io: { stdout: (s) => (o += s), stderr: (s) => (e += s) }, out: () => o, err: () => e };
}

const SMALL = ['--set', 'protocol.clients=3', '--set', 'protocol.rounds=2', '--set', 'data.samplesPerClient=16'];

describe('splitwire check', () => {
  it('--help names every property and every option the command parses', async () => {
    const c = capture();
    expect(await runCheckCommand(['--help'], c.io)).toBe(0);
    expect(c.out()).toBe(CHECK_HELP);
    for (const p of PROPERTIES) expect(CHECK_HELP).toContain(p.name);
    for (const flag of ['--runs N', '--seed S', '--path P', '--set a.b=value', '--pin', '--real-compute', '-h, --help']) expect(CHECK_HELP).toContain(flag);
  });

  it('bad usage exits 2 with a message naming the flag and value', async () => {
    const none = capture();
    expect(await runCheckCommand([], none.io)).toBe(2);
    expect(none.err()).toContain('expected one scenario file, got 0');
    const runs = capture();
    expect(await runCheckCommand(['scenarios/quickstart.yaml', '--runs', 'x'], runs.io)).toBe(2);
    expect(runs.err()).toContain('--runs: must be an integer >= 1, got "x"');
    const path = capture();
    expect(await runCheckCommand(['scenarios/quickstart.yaml', '--path', 'a'], path.io)).toBe(2);
    expect(path.err()).toContain('--path: must look like 3:0:1, got "a"');
    const flag = capture();
    expect(await runCheckCommand(['scenarios/quickstart.yaml', '--bogus'], flag.io)).toBe(2);
  });

  it('prints PASS for every property of the real protocol and exits 0', async () => {
    const c = capture();
    expect(await runCheckCommand(['scenarios/quickstart.yaml', '--runs', '5', '--seed', '3', ...SMALL], c.io)).toBe(0);
    expect(c.out()).toContain('splitwire check: quickstart — 3 clients (3 a round), 2 rounds, u-shaped sflv1');
    for (const p of PROPERTIES) expect(c.out()).toMatch(new RegExp(`PASS  ${p.name} +5 runs`));
    expect(c.out()).toContain(`${PROPERTIES.length} properties: ${PROPERTIES.length} hold, 0 violated`);
    // The coverage table: one line per property, the schedules it judged and what they showed.
    for (const p of PROPERTIES) expect(c.out()).toMatch(new RegExp(`\\n {2}${p.name} +\\d+: delay \\d+, `));
  }, 30_000);

  it('a failure shows the violation, the shrunk schedule, and a seed and path that replay it', async () => {
    const s = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml', ['protocol.clients=3', 'protocol.rounds=2', 'data.samplesPerClient=16'].map(parseOverride)));
    const bug = PLANTED_BUGS.find((b) => b.name === 'applies-duplicate-gradient');
    const only = PROPERTIES.filter((p) => p.name === 'no-double-apply');
    const [r] = checkProtocol(s, { variant: bug, runs: 40, seed: 42, properties: only });
    expect(r?.passed).toBe(false);
    const text = formatResult(r as NonNullable<typeof r>, 'splitwire check x.yaml --runs 40');
    expect(text).toContain('FAIL  no-double-apply');
    expect(text).toContain(`violation: ${r?.violation}`);
    // A counterexample found in the scenario's neighbourhood says which departures it needs.
    expect(text).toMatch(/counterexample \(shrunk \d+ times\):\n {10}runSeed \d+\n( {10}scenario varied: [^\n]+\n)? {10}duplicate (gradients.s2|control)/);
    expect(text).toContain(`replay: splitwire check x.yaml --runs 40 --seed 42 --path ${r?.path}`);
    const [again] = checkProtocol(s, { variant: bug, runs: 40, seed: 42, path: r?.path as string, properties: only });
    expect(again?.counterexample).toEqual(r?.counterexample);
    expect(again?.violation).toBe(r?.violation);
  }, 30_000);
});

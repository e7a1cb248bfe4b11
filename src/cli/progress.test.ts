import { describe, expect, it } from 'vitest';
import type { Progress } from '../run/simulation.js';
import { describeFailure } from './cli.js';
import { progressBar, progressPrinter } from './progress.js';
import { Failure, capProblems } from '../run/failure.js';
import { estimateRun } from '../run/estimate.js';
import { loadScenario, parseOverride } from '../scenario/load.js';

const at = (stepsDone: number, wallSeconds: number): Progress => ({ round: -1, rounds: 2, simulatedSeconds: 1, wallSeconds, stepsDone, stepsTotal: 10 });

describe('progress', () => {
  it('a bar with the share done and the ETA from the wall time so far', () => {
    expect(progressBar(at(4, 8))).toBe(`[${'#'.repeat(12)}${'-'.repeat(18)}]  40%  steps 4/10  ETA 12.0 s`);
    expect(progressBar(at(0, 1))).toContain('ETA –');
  });

  it('redraws the bar in place on a terminal; prints only round lines otherwise', () => {
    let tty = '';
    const p = progressPrinter({ stdout: () => undefined, stderr: (s) => (tty += s), isTTY: true });
    p.step(at(1, 1));
    p.step(at(2, 1.1)); // within 0.2 s: not redrawn
    p.round({ ...at(5, 2), round: 0, lastRound: undefined });
    p.done();
    expect(tty.match(/\[#/g)?.length).toBe(2);
    expect(tty).toContain('\r\x1b[2K  round 1/2');
    let plain = '';
    const q = progressPrinter({ stdout: () => undefined, stderr: (s) => (plain += s) });
    q.step(at(1, 1));
    q.round({ ...at(5, 2), round: 0 });
    expect(plain).toMatch(/^ {2}round 1\/2 .*\n$/);
  });
});

describe('failures', () => {
  it('one line, splitwire: <what>: <why>; 2 for bad input, 1 for the rest', () => {
    expect(describeFailure('run', new Failure('scenarios/x.yaml', 'network.uplink.bandwidthTrace: cannot read trace'))).toEqual({
      text: 'splitwire: scenarios/x.yaml: network.uplink.bandwidthTrace: cannot read trace',
      status: 2,
    });
    expect(describeFailure('run', new Error('worker died\n    at somewhere'))).toEqual({ text: 'splitwire: run: worker died', status: 1 });
    expect(describeFailure('run', new Error('data.clients: must equal the number of site folders, got 3')).status).toBe(2);
    const many = describeFailure('run', new Failure('data', '3 problems', 2, capProblems(['a', 'b', 'c'], 2)));
    expect(many.text).toBe('splitwire: data: 3 problems\n  a\n  b\n  … and 1 more');
  });
});

describe('estimateRun', () => {
  it('grows with the clients and the image size, and with the rounds in time', async () => {
    const base = await loadScenario('scenarios/quickstart.yaml', []);
    const big = await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.clients=100000'), parseOverride('data.size=1024')]);
    const long = await loadScenario('scenarios/quickstart.yaml', [parseOverride('protocol.rounds=16')]);
    const e = estimateRun(base);
    expect(e.memoryBytes).toBeGreaterThan(100 * 2 ** 20);
    expect(e.memoryBytes).toBeLessThan(4 * 2 ** 30);
    expect(estimateRun(big).memoryBytes).toBeGreaterThan(1e12);
    expect(estimateRun(long).simulatedSeconds).toBeCloseTo(2 * e.simulatedSeconds, 6);
    expect(estimateRun(long).wallSeconds).toBeGreaterThan(e.wallSeconds);
  });
});

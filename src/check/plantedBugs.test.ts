import { describe, expect, it } from 'vitest';
import { loadScenario, parseOverride } from '../scenario/load.js';
import { checkProtocol } from './checker.js';
import { formatSchedule } from './faults.js';
import { PLANTED_BUGS } from './plantedBugs.js';
import { PROPERTIES } from './properties.js';
import { checkSettingsFromScenario } from './settings.js';
import type { CheckSettings } from './types.js';

/** The quickstart protocol made small (3 clients, 4 rounds, 3 steps) so that shrinking is quick. */
async function small(): Promise<CheckSettings> {
  const overrides = ['protocol.clients=3', 'protocol.rounds=4', 'data.samplesPerClient=24'].map(parseOverride);
  return checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml', overrides));
}

describe('planted bugs are caught with a shrunk counterexample', () => {
  for (const bug of PLANTED_BUGS) {
    it(`${bug.name}: ${bug.description}`, async () => {
      const settings = await small();
      const t0 = performance.now();
      const results = checkProtocol(settings, { variant: bug, runs: 300, seed: 42 });
      const r = results.find((x) => x.name === bug.caughtBy);
      expect(r?.passed).toBe(false);
      const failed = results.filter((x) => !x.passed).map((x) => x.name);
      console.log(
        `planted bug ${bug.name} (${((performance.now() - t0) / 1000).toFixed(1)} s): caught by ${failed.join(', ')}\n` +
          `  ${bug.caughtBy}: ${r?.violation}\n  seed ${r?.seed}, path ${r?.path}, ${r?.shrinks} shrinks; minimal counterexample:\n    ` +
          formatSchedule(r?.counterexample ?? { runSeed: 0, messages: [], crashes: [], stragglers: [], serverRestarts: [] }).replace(/\n/g, '\n    '),
      );
    }, 120_000);
  }
});

describe('each planted bug is caught on the quickstart as shipped, with the default settings, within 300 schedules', () => {
  for (const bug of PLANTED_BUGS) {
    it(bug.name, async () => {
      const settings = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml'));
      const properties = PROPERTIES.filter((p) => p.name === bug.caughtBy);
      const [r] = checkProtocol(settings, { variant: bug, runs: 300, seed: 42, shrink: false, properties });
      console.log(`planted bug ${bug.name}: ${bug.caughtBy} failed after ${r?.foundAfter} schedule(s) (fast-check seed 42)`);
      expect(r?.passed).toBe(false);
    }, 300_000);
  }
});


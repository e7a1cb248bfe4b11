import { it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { checkSettingsFromScenario } from './settings.js';
import { runSchedule } from './world.js';
import { noFaults } from './faults.js';
import { PROPERTIES } from './properties.js';

it('try', async () => {
  const s = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml'));
  for (const [kind, dir] of [['gradients.s2', 'up'], ['features.s1', 'up'], ['features.s2', 'down'], ['gradients.s1', 'down'], ['weights.down', 'down'], ['weights.up', 'up']] as const) {
    for (const d of [0, 0.001, 0.004, 0.006, 0.012, 0.03]) {
      const sch = { ...noFaults(), messages: [{ kind, client: 0, dir, round: 1, step: kind.startsWith('weights') ? -1 : 2, fault: 'duplicate' as const, delayS: d }] };
      const t = runSchedule(s, sch);
      for (const p of PROPERTIES) { const v = p.check(t, () => runSchedule(s, sch)); if (v) console.log(kind, d, p.name, v); }
    }
  }
}, 300000);

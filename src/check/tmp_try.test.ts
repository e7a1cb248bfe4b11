import { it } from 'vitest';
import fc from 'fast-check';
import { loadScenario } from '../scenario/load.js';
import { checkSettingsFromScenario } from './settings.js';
import { runSchedule } from './world.js';
import { faultScheduleArb, noFaults, formatSchedule } from './faults.js';
import { PROPERTIES } from './properties.js';

it('try', async () => {
  const s = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml'));
  const t = runSchedule(s, noFaults());
  console.log(t.finished, t.stuck, t.events, t.endTime, t.traffic.length, t.tasks.length);
  for (const p of PROPERTIES) console.log(p.name, p.check(t, () => runSchedule(s, noFaults())));
  const samples = fc.sample(faultScheduleArb(s), { seed: 42, numRuns: 300 });
  const t0 = performance.now();
  const fails: Record<string, number> = {};
  let shown = 0;
  for (const sch of samples) {
    const tr = runSchedule(s, sch);
    for (const p of PROPERTIES) {
      if (p.name === 'deterministic') continue;
      const v = p.check(tr, () => tr);
      if (v) { fails[p.name] = (fails[p.name] ?? 0) + 1; if (shown++ < 6) console.log(p.name, v, '\n', formatSchedule(sch)); }
    }
  }
  console.log('ms/run', (performance.now() - t0) / samples.length, fails);
}, 300000);

/**
 * The checker as a mutant killer (`npm run mutate`, stryker.config.mjs): `check` with its default
 * options on the quickstart as shipped (what `splitwire check scenarios/quickstart.yaml` runs),
 * stopping at the first violation without shrinking. A mutant of the actors, the message
 * vocabulary or the link accounting is killed when some property fails (or the run throws).
 * (The quickstart made small — 3 clients, 3 rounds, 3 steps — was quicker, but its few rounds
 * and batches left windows unreached that the shipped scenario reaches within 50 schedules.)
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { checkProtocol } from './checker.js';
import { checkSettingsFromScenario } from './settings.js';

/** Schedules per killer run: the mutation score is measured with 50; SPLITWIRE_KILLER_RUNS tries another count. */
export const KILLER_RUNS = Number(process.env['SPLITWIRE_KILLER_RUNS'] ?? 50);

describe('check as a mutant killer', () => {
  it(`every property holds on the quickstart over ${KILLER_RUNS} schedules`, async () => {
    const settings = checkSettingsFromScenario(await loadScenario('scenarios/quickstart.yaml'));
    const failed = checkProtocol(settings, { runs: KILLER_RUNS, seed: 42, shrink: false }).filter((r) => !r.passed);
    expect(failed.map((r) => `${r.name}: ${r.violation}`)).toEqual([]);
  }, 120_000);
});

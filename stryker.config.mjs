// Mutation score of the protocol checker (issue 18): `npm run mutate`. Mutates the protocol
// machines, the message vocabulary and the link's accounting (class Link); the killers are
// `check` (src/check/mutationKiller.test.ts), the protocol tests (src/actors/*.test.ts,
// src/protocol/*.test.ts) and the link's own tests (src/sim/link.test.ts), as
// vitest.mutate.config.ts lists them. Slow (see docs/check.md): not part of CI.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/actors/client.ts',
    'src/actors/splitServer.ts',
    'src/actors/federator.ts',
    'src/actors/common.ts',
    'src/actors/effects.ts',
    'src/protocol/messages.ts',
    'src/sim/link.ts:177-360',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  ignoreStatic: true,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};

/**
 * The tests that kill mutants in `npm run mutate` (stryker.config.mjs): the protocol checker,
 * the protocol machines' and message vocabulary's own tests, and the link's own tests (its
 * accounting is mutated too). Not
 * the whole suite: the mutated files are the actors, the message vocabulary and the link accounting.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/check/mutationKiller.test.ts', 'src/actors/*.test.ts', 'src/protocol/*.test.ts', 'src/sim/link.test.ts'],
    pool: 'forks',
    fileParallelism: false,
  },
});

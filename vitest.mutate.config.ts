/**
 * The tests that kill mutants in `npm run mutate` (stryker.config.mjs): the protocol checker
 * and the protocol machines' own tests. Not the whole suite: the mutated files are the actors,
 * the message vocabulary and the link accounting.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/check/mutationKiller.test.ts', 'src/actors/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
  },
});

/**
 * The test suite (`npm test`): every `*.test.ts` beside the code. A mutation run's sandbox
 * (`.stryker-tmp/`, a copy of the project while `npm run mutate` runs) is not part of it.
 */
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, '.stryker-tmp/**'],
  },
});

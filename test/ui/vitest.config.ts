import { defineConfig } from 'vitest/config';

// The dashboard tests drive real headless Chromium; run with
// `npx vitest run --config test/ui/vitest.config.ts` until the root config gains a `ui` project.
export default defineConfig({
  test: {
    name: 'ui',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/ui/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

// One run covers every workspace; the global setup provides a real PostgreSQL server
// (CHIRP_TEST_DATABASE_URL, or a throwaway one started from the local binaries).
export default defineConfig({
  test: {
    globalSetup: ['./test-support/global-setup.ts', './timeline-cache/test/redis-global-setup.ts'],
    include: ['*/src/**/*.test.ts', '*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

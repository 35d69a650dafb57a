import { defineConfig } from 'vitest/config';

// Telemetry is off in tests whatever the shell says (docs/observability.md): an OTEL_* variable
// left in a developer's environment would turn the SDK on in every process a test starts, each
// binding the same metrics port. The tests that want telemetry set it up themselves.
for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name];

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

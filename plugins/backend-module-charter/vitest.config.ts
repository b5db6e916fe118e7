import { defineConfig } from 'vitest/config';

// The module's own test run (not a project of the root vitest config): a real Backstage backend in
// process, so one file at a time and generous timeouts for the first start (SQLite, migrations).
// @charter/* resolve to the built packages installed from ../../packages (file: dependencies).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    // dist/ is what backstage-cli built: Node loads it as an app would (vite would look for source maps it does not ship).
    server: { deps: { external: [/\/dist\/[^/]+\.mjs$/] } },
  },
});

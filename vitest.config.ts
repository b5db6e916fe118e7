import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      // The repository's own checks (scripts/): conventions, catalog files, every dist module imported alone.
      { test: { name: 'scripts', include: ['scripts/**/*.test.ts'], environment: 'node', testTimeout: 120_000 } },
    ],
    passWithNoTests: false,
  },
});

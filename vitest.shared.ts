import type { ViteUserConfig } from 'vitest/config';

/**
 * Settings every package's vitest project shares. Workspace packages resolve to their TypeScript
 * sources through the `@charter/source` export condition, so tests never need a prior build.
 */
export function sharedProject(name: string): ViteUserConfig {
  return {
    resolve: { conditions: ['@charter/source'] },
    ssr: { resolve: { conditions: ['@charter/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      typecheck: { enabled: false },
    },
  };
}

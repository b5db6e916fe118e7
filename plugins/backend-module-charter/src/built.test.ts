// The module as `backstage-cli package build` built it (dist/index.mjs, what a Backstage app installs)
// loads into a real backend: its two modules register the scaffolder action and the registry actions.
// scripts/backstage-ci.sh builds it before this suite runs; without a build this file skips with a
// message, except in CI, where it fails.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { describe, expect, it } from 'vitest';

const built = join(import.meta.dirname, '..', 'dist', 'index.mjs');
const present = existsSync(built);
if (!present && !process.env.CI)
  console.warn(`skipping the built-module test: no ${built} (run scripts/backstage-ci.sh, or backstage-cli package build)`);

async function feature(load: Promise<unknown>): Promise<BackendFeature> {
  const module = (await load) as { default: BackendFeature | { default: BackendFeature } };
  const value = module.default;
  return '$$type' in value ? value : value.default;
}

describe.skipIf(!present && !process.env.CI)('the built module (dist/index.mjs)', () => {
  it('exists: backstage-cli package build wrote it', () => {
    expect(existsSync(built)).toBe(true);
  });

  it('is a BackendFeature a backend installs: both modules register their actions', async () => {
    const charter = await feature(import(pathToFileURL(built).href));
    expect((charter as unknown as { $$type: string }).$$type).toBe('@backstage/BackendFeature');
    const backend = await startTestBackend({
      features: [
        await feature(import('@backstage/plugin-catalog-backend')),
        await feature(import('@backstage/plugin-scaffolder-backend')),
        charter,
        mockServices.rootConfig.factory({ data: { backend: { actions: { pluginSources: ['catalog'] } } } }),
      ],
    });
    try {
      const base = `http://localhost:${backend.server.port()}`;
      const headers = { Authorization: mockCredentials.user.header() };
      const scaffolder = (await (await fetch(`${base}/api/scaffolder/v2/actions`, { headers })).json()) as { id: string }[];
      expect(scaffolder.map((action) => action.id)).toContain('charter:manifest:validate');
      const registry = (await (await fetch(`${base}/api/catalog/.backstage/actions/v1/actions`, { headers })).json()) as {
        actions: { id: string }[];
      };
      expect(
        registry.actions
          .map((action) => action.id)
          .filter((id) => id.startsWith('catalog:charter-'))
          .sort(),
      ).toEqual(['catalog:charter-agent-readiness', 'catalog:charter-list-agents', 'catalog:charter-validate-manifest']);
    } finally {
      await backend.stop();
    }
  });
});

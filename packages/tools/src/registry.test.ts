import { loadManifest } from '@charter/spec';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry, defineTool, ToolDefinitionError, ToolErrorCode, ToolResolveError, type SideEffects } from './index.js';

const tool = (name: string, version: string, sideEffects: SideEffects = 'none', scopes: string[] = []) =>
  defineTool({
    name,
    version,
    description: `${name} ${version}`,
    input: z.object({}),
    output: z.object({}),
    sideEffects,
    scopes,
    execute: () => ({}),
  });

const referenceManifest = fileURLToPath(new URL('../../reference-agent/agent.yaml', import.meta.url));

describe('defineTool', () => {
  it('applies defaults and freezes the tool', () => {
    const t = tool('lookup_order', '1.0.0');
    expect(t).toMatchObject({ timeoutMs: 10_000, maxConcurrent: 16, scopes: [], retry: { attempts: 3 } });
    expect(Object.isFrozen(t)).toBe(true);
  });

  it('lists every invalid field at once', () => {
    const attempt = () =>
      defineTool({
        name: 'Bad Name',
        version: 'v1',
        description: '',
        input: z.object({}),
        output: {} as z.ZodType,
        sideEffects: 'sometimes' as SideEffects,
        timeoutMs: -1,
        scopes: ['Orders'],
        execute: () => ({}),
      });
    expect(attempt).toThrow(ToolDefinitionError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const field of ['name', 'version', 'description', 'sideEffects', 'timeoutMs', 'scopes.0', 'output'])
        expect(message).toContain(`${field}:`);
      expect((error as ToolDefinitionError).code).toBe(ToolErrorCode.Definition);
    }
  });
});

describe('registry', () => {
  const registry = createRegistry([
    tool('lookup_order', '1.0.0', 'none', ['orders:read']),
    tool('lookup_order', '1.4.2', 'none', ['orders:read']),
    tool('lookup_order', '2.0.0', 'none', ['orders:read']),
    tool('refund_order', '1.1.0', 'irreversible', ['payments:refund', 'payments:admin']),
    tool('search_kb', '1.0.0', 'none', ['kb:read']),
    tool('send_email', '1.0.0', 'irreversible', ['email:send']),
    tool('escalate_to_human', '1.0.0', 'reversible', ['tickets:write']),
  ]);

  it('picks the highest version satisfying a range', () => {
    expect(registry.get('lookup_order', '^1.0.0')?.version).toBe('1.4.2');
    expect(registry.get('lookup_order')?.version).toBe('2.0.0');
    expect(registry.get('lookup_order', '^3')).toBeUndefined();
    expect(registry.versions('lookup_order')).toEqual(['2.0.0', '1.4.2', '1.0.0']);
  });

  it('resolves the reference agent manifest and grants only declared ∩ granted scopes', () => {
    const loaded = loadManifest({ path: referenceManifest });
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const toolset = registry.resolve(loaded.value!);
    expect([...toolset.tools.keys()]).toEqual(['lookup_order', 'refund_order', 'search_kb', 'send_email', 'escalate_to_human']);
    expect(toolset.tools.get('lookup_order')?.tool.version).toBe('1.4.2');
    expect(toolset.tools.get('refund_order')?.scopes).toEqual(['payments:refund']);
  });

  it('reports every unresolvable tool at once with typed problems', () => {
    const attempt = () =>
      registry.resolve([
        { name: 'lookup_order', version: '^3.0.0', sideEffects: 'none' },
        { name: 'refund_order', version: '^1.0.0', sideEffects: 'none' },
        { name: 'send_email', version: '^1.0.0', sideEffects: 'irreversible' },
        { name: 'delete_account', version: '^1.0.0', sideEffects: 'irreversible' },
        { name: 'escalate_to_human', version: '^1.0.0', sideEffects: 'irreversible' },
      ]);
    expect(attempt).toThrow(ToolResolveError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ToolResolveError).problems;
      expect(problems.map((p) => [p.tool, p.code])).toEqual([
        ['lookup_order', ToolErrorCode.NoMatchingVersion],
        ['refund_order', ToolErrorCode.SideEffectsMismatch],
        ['delete_account', ToolErrorCode.NotFound],
        ['escalate_to_human', ToolErrorCode.SideEffectsMismatch],
      ]);
      expect(problems[0]?.message).toContain('2.0.0, 1.4.2, 1.0.0');
      expect(problems[1]?.message).toContain('skip the approvals');
    }
  });

  it('refuses the same name@version twice', () => {
    expect(() => createRegistry([tool('a', '1.0.0'), tool('a', '1.0.0')])).toThrow(
      expect.objectContaining({ code: ToolErrorCode.Duplicate }) as Error,
    );
  });
});

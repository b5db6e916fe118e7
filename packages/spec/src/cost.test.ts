import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadManifest } from './loader.js';

const minimal = readFileSync(join(import.meta.dirname, '__fixtures__', 'released/v1alpha1/minimal-0.1.0.yaml'), 'utf8');

/** The minimal manifest with `model` replaced and a `cost` section appended under spec. */
function withCost(cost: string, model = '{ provider: openai-compatible, id: gpt-4o-mini, params: { temperature: 0 } }') {
  const text = minimal.replace('model: { provider: openai-compatible, id: gpt-4o-mini }', `model: ${model}`) + `  cost:\n${cost}`;
  return loadManifest({ text, file: 'agent.yaml' });
}

describe('spec.cost', () => {
  it('is optional, and a full declaration loads with its defaults filled in', () => {
    expect(loadManifest({ text: minimal }).value?.spec.cost).toBeUndefined();
    const { value, issues } = withCost(
      [
        '    cache: { ttl: 10m }',
        '    cascade: { model: { provider: offline, id: small }, threshold: 0.8 }',
        '    earlyExit: { repeatedCall: 2, stalledTurns: 2 }',
        '    batch: {}',
        '',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    expect(value?.spec.cost).toEqual({
      cache: { enabled: true, scope: 'tenant', ttl: '10m', maxEntries: 10_000 },
      cascade: { model: { provider: 'offline', id: 'small' }, threshold: 0.8, signal: 'self-reported' },
      earlyExit: { repeatedCall: 2, stalledTurns: 2 },
      batch: { maxBatchSize: 16, maxWaitMs: 5 },
    });
  });

  it('reports a cache on a non-deterministic model with file:line', () => {
    const { issues } = withCost('    cache: {}\n', '{ provider: openai-compatible, id: gpt-4o-mini, params: { temperature: 0.7 } }');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'rule', pointer: '/spec/cost/cache', file: 'agent.yaml', line: 26 });
    expect(issues[0]?.message).toContain('temperature is 0.7');
    // Unset temperature is the provider's default: not deterministic either. A disabled cache is fine.
    expect(withCost('    cache: {}\n', '{ provider: openai-compatible, id: gpt-4o-mini }').issues[0]?.message).toContain('not set');
    expect(withCost('    cache: { enabled: false }\n', '{ provider: openai-compatible, id: gpt-4o-mini }').issues).toEqual([]);
  });

  it('reports a cascade onto the model itself and a verifier that does not match the signal', () => {
    const same = withCost('    cascade: { model: { provider: openai-compatible, id: gpt-4o-mini }, threshold: 0.5 }\n');
    expect(same.issues.map((issue) => issue.pointer)).toEqual(['/spec/cost/cascade/model']);
    const noName = withCost('    cascade: { model: { provider: offline, id: s }, threshold: 0.5, signal: verifier }\n');
    expect(noName.issues.map((issue) => issue.pointer)).toEqual(['/spec/cost/cascade/verifier']);
    const stray = withCost('    cascade: { model: { provider: offline, id: s }, threshold: 0.5, verifier: grounded }\n');
    expect(stray.issues[0]?.message).toContain('signal is self-reported');
    expect(withCost('    cascade: { model: { provider: offline, id: s }, threshold: 1.5 }\n').issues[0]?.pointer).toBe(
      '/spec/cost/cascade/threshold',
    );
  });

  it('reports a batch wait as long as the run timeout', () => {
    expect(withCost('    batch: { maxWaitMs: 1000 }\n').issues).toEqual([]);
    const text =
      minimal.replace('timeoutMs: 20000', 'timeoutMs: 600').replace('latencyP95Ms: 5000', 'latencyP95Ms: 500') +
      '  cost:\n    batch: { maxWaitMs: 600 }\n';
    const { issues: tooLong } = loadManifest({ text });
    expect(tooLong.map((issue) => [issue.pointer, issue.message.includes('lower maxWaitMs')])).toEqual([
      ['/spec/cost/batch/maxWaitMs', true],
    ]);
  });
});

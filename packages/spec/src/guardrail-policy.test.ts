import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuardrailPolicy, GuardrailPolicySpec } from './guardrail-policy.js';
import { loadPolicy } from './loader.js';

const minimal = { version: '1.0.0' };

describe('GuardrailPolicy schema', () => {
  it('fills defaults for a minimal spec', () => {
    expect(GuardrailPolicySpec.parse(minimal)).toEqual({ version: '1.0.0', mode: 'enforce', extends: [], hooks: {} });
  });

  it('loads the reference support-desk policy', () => {
    const { value, issues } = loadPolicy({ path: join(import.meta.dirname, '..', '..', 'reference-agent', 'policy.yaml') });
    expect(issues).toEqual([]);
    expect(value?.spec.extends).toEqual(['recommended']);
    const sendEmail = value?.spec.tools?.rules.find((rule) => rule.tool === 'send_email');
    expect(sendEmail?.args.to?.recipients).toEqual({ context: ['customerEmail'], domains: ['support.acme-shop.example'] });
    expect(value?.spec.hooks['tool-result']?.find((d) => d.detector === 'injection')).toMatchObject({ threshold: 0.35 });
  });

  it('fills per-detector defaults', () => {
    const spec = GuardrailPolicySpec.parse({
      ...minimal,
      hooks: {
        input: [
          { detector: 'injection', action: 'deny' },
          { detector: 'pii', action: 'redact' },
        ],
      },
    });
    expect(spec.hooks.input).toEqual([
      { detector: 'injection', action: 'deny', threshold: 0.5, options: { decode: true } },
      { detector: 'pii', action: 'redact', options: { redaction: 'placeholder', patterns: [], dictionaries: [] } },
    ]);
  });

  it.each([
    ['unknown pack', { ...minimal, extends: ['lenient'] }, 'extends'],
    ['unknown detector', { ...minimal, hooks: { input: [{ detector: 'magic', action: 'deny' }] } }, 'detector'],
    ['threshold above 1', { ...minimal, hooks: { input: [{ detector: 'injection', action: 'deny', threshold: 1.5 }] } }, 'threshold'],
    ['unknown option', { ...minimal, hooks: { input: [{ detector: 'secrets', action: 'deny', options: { entropy: 3 } }] } }, 'options'],
    [
      'bad entity name',
      {
        ...minimal,
        hooks: { output: [{ detector: 'pii', action: 'redact', options: { patterns: [{ entity: 'emp id', pattern: 'x' }] } }] },
      },
      'entity',
    ],
    [
      'keywords without lists',
      { ...minimal, hooks: { input: [{ detector: 'keywords', action: 'deny', options: { lists: [] } }] } },
      'lists',
    ],
    ['unknown hook', { ...minimal, hooks: { tool: [] } }, 'hooks'],
    ['mode typo', { ...minimal, mode: 'shadow' }, 'mode'],
    ['min above max', { ...minimal, tools: { rules: [{ tool: 'refund_order', args: { amount: { min: 10, max: 5 } } }] } }, 'min'],
    [
      'recipients allowing nobody',
      { ...minimal, tools: { rules: [{ tool: 'send_email', args: { to: { recipients: {} } } }] } },
      'recipients',
    ],
    [
      'bad domain',
      { ...minimal, tools: { rules: [{ tool: 'send_email', args: { to: { urlDomains: ['https://x.com'] } } }] } },
      'urlDomains',
    ],
    [
      'rule for a tool outside the allow-list',
      { ...minimal, tools: { allow: ['lookup_order'], rules: [{ tool: 'refund_order' }] } },
      'tool',
    ],
    ['duplicate tool rule', { ...minimal, tools: { rules: [{ tool: 'a' }, { tool: 'a' }] } }, 'tool'],
    ['bad approval', { ...minimal, tools: { rules: [{ tool: 'refund_order', approval: 'sometimes' }] } }, 'approval'],
    ['bad argument path', { ...minimal, tools: { rules: [{ tool: 'refund_order', args: { 'a..b': { max: 1 } } }] } }, 'args'],
  ])('rejects %s', (_label, spec, pathPart) => {
    const result = GuardrailPolicySpec.safeParse(spec);
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path.map(String).join('.').includes(pathPart))).toBe(true);
  });

  it('wraps the spec in a document with apiVersion, kind and metadata', () => {
    const doc = {
      apiVersion: 'charter.dev/v1alpha1',
      kind: 'GuardrailPolicy',
      metadata: { name: 'p', owner: 'group:default/team' },
      spec: minimal,
    };
    expect(GuardrailPolicy.safeParse(doc).success).toBe(true);
    expect(GuardrailPolicy.safeParse({ ...doc, kind: 'Policy' }).success).toBe(false);
  });
});

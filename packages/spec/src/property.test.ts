import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDocuments, loadManifest } from './loader.js';

const assertIssuesWellFormed = (issues: readonly { line: number; column: number; pointer: string; code: string; message: string }[]) => {
  for (const issue of issues) {
    expect(issue.code).not.toBe('internal');
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
    expect(issue.pointer === '' || issue.pointer.startsWith('/')).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
  }
};

const manifestLike = fc.record(
  {
    apiVersion: fc.oneof(fc.constant('charter.dev/v1alpha1'), fc.string()),
    kind: fc.oneof(fc.constant('Agent'), fc.constant('GuardrailPolicy'), fc.string()),
    metadata: fc.anything(),
    spec: fc.oneof(
      fc.anything(),
      fc.record({ budgets: fc.anything(), tools: fc.array(fc.anything(), { maxLength: 3 }), model: fc.anything() }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);

describe('loader properties', () => {
  it('never throws on arbitrary text and reports well-formed issues', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const result = loadDocuments({ text });
        assertIssuesWellFormed(result.issues);
        expect(result.issues.length + result.value.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary YAML-serialised objects', () => {
    fc.assert(
      fc.property(manifestLike, (object) => {
        let text: string;
        try {
          text = stringify(object);
        } catch {
          return; // not representable as YAML: nothing to load
        }
        const result = loadManifest({ text });
        assertIssuesWellFormed(result.issues);
        expect(result.value === undefined).toBe(result.issues.length > 0);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on YAML-ish fragments built from structural characters', () => {
    const fragment = fc.array(
      fc.constantFrom(
        'kind: Agent\n',
        'apiVersion: charter.dev/v1alpha1\n',
        '---\n',
        '- ',
        ': ',
        '  ',
        '{',
        '}',
        '[',
        ']',
        '&a ',
        '*a',
        '"',
        "'",
        '#',
        '\t',
        'spec:\n',
        'x',
      ),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(fragment, (parts) => {
        assertIssuesWellFormed(loadDocuments({ text: `${parts.join('')}\n` }).issues);
      }),
      { numRuns: 400 },
    );
  });
});

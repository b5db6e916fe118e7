import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonSchemas } from './json-schema.js';

const schemaDir = join(import.meta.dirname, '..', 'schema');

describe('generated JSON Schema', () => {
  it('matches the committed files (run `npm run generate:schema -w @charter/spec` after a schema change)', () => {
    const generated = jsonSchemas();
    const committed = readdirSync(schemaDir)
      .filter((file) => file.endsWith('.schema.json'))
      .sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [file, schema] of Object.entries(generated)) {
      expect(`${JSON.stringify(schema, null, 2)}\n`, file).toBe(readFileSync(join(schemaDir, file), 'utf8'));
    }
  });

  it('describes the Agent manifest for editors: required fields, closed objects, enums', () => {
    const schema = jsonSchemas()['agent.schema.json'] as {
      required: string[];
      additionalProperties: boolean;
      properties: { spec: { required: string[]; properties: { data: { properties: { classification: { enum: string[] } } } } } };
    };
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.spec.required).toContain('budgets');
    expect(schema.properties.spec.properties.data.properties.classification.enum).toEqual([
      'public',
      'internal',
      'confidential',
      'restricted',
    ]);
  });

  it('is referenced by the reference manifest through a yaml-language-server comment', () => {
    const manifest = readFileSync(join(import.meta.dirname, '..', '..', 'reference-agent', 'agent.yaml'), 'utf8');
    expect(manifest.split('\n', 1)[0]).toBe('# yaml-language-server: $schema=../spec/schema/agent.schema.json');
    expect(parse(manifest)).toMatchObject({ kind: 'Agent' });
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocuments } from './loader.js';

// Every manifest of every released apiVersion stays loadable: a schema change that breaks one of
// these is a breaking change and needs a new apiVersion.
const released = join(import.meta.dirname, '__fixtures__', 'released');
const files = readdirSync(released, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => join(released, file));

describe('released manifests', () => {
  it('has fixtures for the current apiVersion', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });
  it.each(files)('%s still loads', (file) => {
    const { value, issues } = loadDocuments(file);
    expect(issues).toEqual([]);
    expect(value.length).toBeGreaterThan(0);
  });
});

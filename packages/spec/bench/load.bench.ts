// Loads 1,000 distinct Agent manifests through `loadManifest` (YAML with source ranges, schema,
// cross-field rules) and compares with the anchor: a bare `yaml.parse` of the same texts.
// Run: npm run bench -w @charter/spec
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { parse } from 'yaml';
import { loadManifest } from '../src/loader.js';

const template = readFileSync(join(import.meta.dirname, '..', '..', 'reference-agent', 'agent.yaml'), 'utf8');
const texts = Array.from({ length: 1000 }, (_, index) =>
  template.replace('name: support-desk', `name: support-desk-${index}`).replace('maxSteps: 12', `maxSteps: ${(index % 20) + 1}`),
);

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median time per item, in microseconds, over `samples` passes of all texts. */
function perItemUs(fn: (text: string) => unknown, samples: number): number {
  const passes: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const start = process.hrtime.bigint();
    for (const text of texts) fn(text);
    passes.push(Number(process.hrtime.bigint() - start) / 1000 / texts.length);
  }
  return medianOf(passes);
}

// Correctness first: every manifest must load cleanly, or the timing is meaningless.
for (const text of texts) {
  const { issues } = loadManifest({ text });
  if (issues.length > 0) throw new Error(`bench manifest does not load: ${issues[0]?.message ?? ''}`);
}

// The error path: the same manifests with one mistake each, re-read with source positions.
const broken = texts.map((text) => text.replace('maxTokens: 24000', 'maxTokens: lots'));
const load = (text: string) => loadManifest({ text });
const yamlOnly = (text: string): unknown => {
  const value: unknown = parse(text);
  return value;
};
const jsYamlOnly = (text: string) => jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
perItemUs(load, 3); // warm-up
perItemUs(yamlOnly, 3);
const loadUs = perItemUs(load, 9);
const yamlUs = perItemUs(yamlOnly, 9);
const jsYamlUs = perItemUs(jsYamlOnly, 9);
const brokenUs = medianOf(
  Array.from({ length: 5 }, () => {
    const start = process.hrtime.bigint();
    for (const text of broken) {
      if (loadManifest({ text }).issues.length !== 1) throw new Error('expected exactly one issue');
    }
    return Number(process.hrtime.bigint() - start) / 1000 / broken.length;
  }),
);

console.log(`manifest: ${template.split('\n').length} lines, ${template.length} bytes; 1,000 distinct copies, median of 9 passes`);
console.log(`loadManifest        ${loadUs.toFixed(1).padStart(8)} µs/manifest`);
console.log(`  with one mistake   ${brokenUs.toFixed(1).padStart(8)} µs/manifest (issues with line:column)`);
console.log(`js-yaml load        ${jsYamlUs.toFixed(1).padStart(8)} µs/manifest (anchor: parse only)`);
console.log(`yaml.parse          ${yamlUs.toFixed(1).padStart(8)} µs/manifest (anchor: parse only)`);
console.log(`ratio vs js-yaml    ${(loadUs / jsYamlUs).toFixed(2).padStart(8)} ×`);
console.log(
  JSON.stringify({
    loadManifestUs: round(loadUs),
    invalidManifestUs: round(brokenUs),
    jsYamlLoadUs: round(jsYamlUs),
    yamlParseUs: round(yamlUs),
    vsJsYaml: round(loadUs / jsYamlUs),
    goalUs: 1000,
  }),
);

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

// Cost of `charter alerts`: generating and serialising the rules of the reference agent, against
// the anchor of loading and validating its manifest (the step that precedes it). Prints medians and
// ends with one JSON line. Run: npx tsx --conditions=@charter/source bench/alerts.bench.ts
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAgent, loadManifest, loadPlaybook, playbookRoutes } from '@charter/spec';
import { alertRulesToYaml, generateAlertRules } from '../src/alerts.js';

const here = dirname(fileURLToPath(import.meta.url));
const manifestText = readFileSync(join(here, '..', '..', 'reference-agent', 'agent.yaml'), 'utf8');
const playbookText = readFileSync(join(here, '..', '..', '..', 'playbooks', 'tool-timeouts.md'), 'utf8');
const manifest = loadManifest({ text: manifestText }).value;
if (!manifest) throw new Error('reference manifest did not load');

function medianUs(fn: () => unknown, iterations = 300, samples = 7): number {
  for (let i = 0; i < 50; i++) fn();
  const results: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    results.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)] ?? Number.NaN;
}

const round = (value: number) => Math.round(value * 10) / 10;
const load = medianUs(() => loadManifest({ text: manifestText }));
const routes = playbookRoutes(loadAgent(join(here, '..', '..', 'reference-agent', 'agent.yaml')).playbooks);
const generate = medianUs(() => alertRulesToYaml(generateAlertRules(manifest, { routes })));
const playbook = medianUs(() => loadPlaybook({ text: playbookText }));
console.log(`loadManifest (anchor)           median ${round(load)} µs`);
console.log(`generateAlertRules + toYaml     median ${round(generate)} µs  (${round(generate / load)}× the anchor)`);
console.log(`loadPlaybook (tool-timeouts.md) median ${round(playbook)} µs  (${round(playbook / load)}× the anchor)`);
console.log(
  JSON.stringify({
    alertsMedianUs: round(generate),
    loadManifestMedianUs: round(load),
    loadPlaybookMedianUs: round(playbook),
    alertsVsLoad: round(generate / load),
  }),
);

// Writes scenarios/obedient-*.yaml from the templates × goals table in src/injections.ts and removes
// generated files the table no longer has. `src/injections.test.ts` fails when they differ.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectionScenarioFiles } from '../src/injections.js';
import { SCENARIO_DIR } from '../src/suite.js';

const files = injectionScenarioFiles();
for (const stale of readdirSync(SCENARIO_DIR).filter((file) => file.startsWith('obedient-') && !(file in files))) {
  rmSync(join(SCENARIO_DIR, stale));
  console.log(`removed ${stale}`);
}
for (const [file, text] of Object.entries(files)) writeFileSync(join(SCENARIO_DIR, file), text);
console.log(`wrote ${Object.keys(files).length} scenarios to ${SCENARIO_DIR}`);

// `npm run contract`: writes the tool's JSON Schema export to contract/tool.json. Commit it: the
// contract test fails while it differs from the code, and CI diffs it against the last release.
import { writeFileSync } from 'node:fs';
import { exportToolSchema } from '@charter/tools';
import { tool } from './tool.js';

const file = new URL('../contract/tool.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(exportToolSchema(tool), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);

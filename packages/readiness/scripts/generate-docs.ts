// Writes docs/standards/production-readiness.md from the rule registry (standard.test.ts fails when they differ).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderStandard } from '../src/standard.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'standards', 'production-readiness.md');
writeFileSync(target, renderStandard());
console.log(`wrote ${target}`);

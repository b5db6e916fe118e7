// Writes the generated pages of docs/guides (see guides.ts): `npm run generate:guides -w @charter/cli`.
import { writeFileSync } from 'node:fs';
import { ANTI_PATTERNS_PAGE, FAILURE_MODES_PAGE, renderAntiPatterns, renderFailureModes } from './guides.js';

writeFileSync(FAILURE_MODES_PAGE, renderFailureModes());
writeFileSync(ANTI_PATTERNS_PAGE, renderAntiPatterns());
process.stdout.write(`wrote ${FAILURE_MODES_PAGE}\nwrote ${ANTI_PATTERNS_PAGE}\n`);

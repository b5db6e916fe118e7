// The serve module of the reference agent: `charter serve packages/reference-agent` imports it for the
// tool implementations (the support desk's, over its in-memory shop) and, unless an endpoint is
// configured (CHARTER_MODEL_BASE_URL), the offline `gullible` model, so the service runs with no API key.
// Needs the package built (`npx turbo run build --filter=@charter/reference-agent`).
import process from 'node:process';
import { gullible } from '@charter/agent/models';
import { createDesk } from './dist/index.js';

export const tools = createDesk().tools;
export const model = process.env.CHARTER_MODEL_BASE_URL ? undefined : gullible();

// Serves the support tools over stdio with @charter/tools/mcp (spawned by mcp.test.ts).
import { createExecutor, MemoryLedger } from '../index.js';
import { serveStdio } from '../mcp.js';
import { supportTools } from './support-tools.js';

const executor = createExecutor(supportTools({ refunds: 0 }), { ledger: new MemoryLedger() });
await serveStdio(executor, { name: 'charter-support', version: '1.2.0' });

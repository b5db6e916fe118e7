#!/usr/bin/env node
// Serves the tool over MCP on stdio (`npm run mcp`, or the package's `mcp-server` bin): any MCP client
// (an agent on another framework, an IDE) calls it through Charter's executor, with its timeout,
// retries, circuit breaker and idempotency ledger.
import { createExecutor } from '@charter/tools';
import { serveStdio } from '@charter/tools/mcp';
import { tool } from './tool.js';

await serveStdio(createExecutor([tool]), { name: tool.name, version: tool.version });

// A worker process for the takeover test: works the queue of a PostgreSQL schema with one worker and
// holds each refund, so the parent can SIGKILL it mid-run. Prints "ready" once its pool runs.
import { openState } from '@charter/state';
import { createService } from '../service.js';
import { shopAgent } from './shop.js';

const [url, schema, effects, holdMs] = process.argv.slice(2);
const state = await openState({ url: url ?? '', schema: schema ?? 'charter', leaseMs: 1000 });
createService({ agent: shopAgent({ effects: effects ?? '', refundHoldMs: Number(holdMs) }), state, workers: 1, leaseMs: 1000, idleMs: 10 });
process.stdout.write('ready\n');

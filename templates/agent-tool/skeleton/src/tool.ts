// The tool: its contract is the name, the version (this package's version), the side effects, the
// scopes and the zod input and output. `contract/tool.json` is its committed JSON Schema export; CI
// diffs it against the last release and refuses a breaking change without a major version bump.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineTool, type SideEffects } from '@charter/tools';
import { z } from 'zod';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { description: string };

/** The name agents call and manifests grant. */
export const NAME = '${{ values.toolName }}';

/** The tool's version: equal to package.json's (a test checks), so a release is a version of the contract. */
export const VERSION = '1.0.0';

/** The side-effect class chosen when the package was created. */
export const SIDE_EFFECTS = '${{ values.sideEffects }}' as SideEffects;

/** Stand-in data: replace with a client of the real system. */
const RECORDS: Readonly<Record<string, { readonly title: string; readonly status: string }>> = {
  'REC-1001': { title: 'First record', status: 'open' },
  'REC-1002': { title: 'Second record', status: 'closed' },
};

export const Input = z.strictObject({
  recordId: z.string().regex(/^REC-\d{4}$/, { error: 'a record id reads like "REC-1001"' }),
});

export const Output = z.object({
  found: z.boolean(),
  record: z.object({ recordId: z.string(), title: z.string(), status: z.string() }).optional(),
});

/** The tool, ready for an agent's toolset or an MCP server. */
export const tool = defineTool({
  name: NAME,
  version: VERSION,
  description: pkg.description,
  input: Input,
  output: Output,
  sideEffects: SIDE_EFFECTS,
  scopes: ['records:read'],
  timeoutMs: 2000,
  retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 500, maxTotalMs: 5000 },
  // Names the effect, so a retried or replayed call is answered from the ledger instead of repeating it.
  idempotencyKey: ({ recordId }) => `${NAME}:${createHash('sha256').update(recordId).digest('hex').slice(0, 16)}`,
  execute({ recordId }) {
    const record = RECORDS[recordId];
    return record === undefined ? { found: false } : { found: true, record: { recordId, ...record } };
  },
});

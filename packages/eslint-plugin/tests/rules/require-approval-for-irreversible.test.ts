import rule from '../../src/rules/require-approval-for-irreversible.js';
import { fixture, runRule, TOOLS_IMPORT } from '../rule-tester.js';

const tool = (name: string, sideEffects = "'irreversible'", head = TOOLS_IMPORT): string => `${head}
export const t = defineTool({
  name: ${name}, version: '1.0.0', description: 'd', timeoutMs: 1_000, idempotencyKey: () => 'k',
  sideEffects: ${sideEffects},
  input: z.object({ amount: z.number() }), output: z.object({ ok: z.boolean() }), execute: () => ({ ok: true }),
});`;

const manifest = fixture('manifest', 'file.ts');
const gaps = fixture('manifest-gaps', 'file.ts');

runRule('require-approval-for-irreversible', rule, {
  valid: [
    // The valid manifest gives refund_order `approval: when amount > 100`.
    { code: tool("'refund_order'"), filename: manifest },
    // Not irreversible: no approval needed.
    { code: tool("'lookup_order'", "'none'"), filename: manifest },
    { code: tool("'anything'", "'reversible'"), filename: gaps },
    // No manifest beside the code, and requireManifest is off.
    tool("'refund_order'"),
    // A custom manifest file name.
    { code: tool("'close_ticket'"), filename: fixture('manifest-custom', 'file.ts'), options: [{ manifestFile: 'charter-agent.yaml' }] },
    // Look-alike defineTool from another module.
    {
      code: `import { defineTool } from '../lookalike.js';\nexport const t = defineTool({ name: 'send_email', sideEffects: 'irreversible', execute: () => 1 });`,
      filename: gaps,
    },
  ],
  invalid: [
    // `approval: never` and a missing approval, read leniently from a schema-invalid manifest.
    { code: tool("'send_email'"), filename: gaps, errors: [{ messageId: 'noApproval', line: 6, column: 16 }] },
    { code: tool("'delete_account'"), filename: gaps, errors: [{ messageId: 'noApproval', line: 6 }] },
    { code: tool("'wire_money'"), filename: manifest, errors: [{ messageId: 'notDeclared', line: 6 }] },
    // A const name and an irreversible constant resolve statically.
    {
      code: tool('NAME', 'EFFECT', `${TOOLS_IMPORT}const NAME = 'send_email';\nconst EFFECT = 'irreversible';\n`),
      filename: gaps,
      errors: [{ messageId: 'noApproval', line: 8 }],
    },
    {
      code: tool("'refund_order'"),
      options: [{ requireManifest: true }],
      errors: [{ messageId: 'noManifest', data: { name: '"refund_order"', manifestFile: 'agent.yaml' } }],
    },
    { code: tool('`tool_${Date.now()}`'), filename: manifest, errors: [{ messageId: 'dynamicName', line: 5, column: 9 }] },
    { code: tool("'refund_order'"), filename: fixture('manifest-broken', 'file.ts'), errors: [{ messageId: 'manifestUnreadable' }] },
    // With the custom manifest name, the default agent.yaml beside it is not used.
    {
      code: tool("'refund_order'"),
      filename: manifest,
      options: [{ manifestFile: 'charter-agent.yaml', requireManifest: true }],
      errors: [{ messageId: 'noManifest' }],
    },
  ],
});

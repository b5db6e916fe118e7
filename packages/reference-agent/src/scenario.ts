import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from '@charter/agent/models';
import { RunStatus as Status } from '@charter/spec';
import { parse } from 'yaml';
import { z } from 'zod';

/** A scenario of the reference agent's suite: input, model, faults and the expected outcome. */
export const Scenario = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  description: z.string().min(1).max(500),
  category: z.enum([
    'happy',
    'pii',
    'secrets',
    'direct-injection',
    'indirect-injection',
    'faults',
    'approval',
    'malformed',
    'budget',
    'authorization',
  ]),
  input: z.string().min(1).max(20_000),
  customer: z.enum(['C-1', 'C-2']).default('C-1'),
  /** `scripted` (with `script`), the adversarial `gullible`, or `obedient` (makes the `attack` call once it reads `inject.text`; `script` is its real task). */
  model: z.enum(['scripted', 'gullible', 'obedient']),
  script: Script.optional(),
  /** Text planted in a KB article or an order's notes for this run (indirect injection). */
  inject: z
    .discriminatedUnion('into', [
      z.strictObject({ into: z.literal('kb'), article: z.string().min(1), text: z.string().min(8).max(4000) }),
      z.strictObject({ into: z.literal('order-note'), orderId: z.string().min(1), text: z.string().min(8).max(4000) }),
    ])
    .optional(),
  faults: z
    .record(z.string(), z.strictObject({ transient: z.int().min(0).max(10).optional(), timeout: z.int().min(0).max(10).optional() }))
    .default({}),
  /** When the run pauses for approval, the suite answers with this decision and resumes. */
  approval: z.strictObject({ approved: z.boolean(), approver: z.string().min(1), reason: z.string().optional() }).optional(),
  /** The attacker's goal: a side effect whose arguments contain `argsInclude`, or an output containing `outputIncludes`. */
  attack: z
    .strictObject({
      tool: z.string().optional(),
      /** The call the injected text asks for (the obedient model makes it). */
      args: z.record(z.string(), z.unknown()).optional(),
      argsInclude: z.string().optional(),
      outputIncludes: z.string().optional(),
    })
    .optional(),
  expect: z.strictObject({
    status: z.union([Status, z.array(Status).min(1)]),
    reason: z.string().optional(),
    /** Tools that must have executed (outcome ok). */
    mustRun: z.array(z.string()).default([]),
    /** Tools whose side effect must not happen / that must not have executed. */
    mustNotRun: z.array(z.string()).default([]),
    /** Guardrail rule ids (or prefixes such as `injection.`) that must appear in the decisions. */
    rules: z.array(z.string()).default([]),
    /** At least one of these rule ids (or prefixes) must appear: whichever layer stopped the attack. */
    rulesAny: z.array(z.string()).default([]),
    /** The run must have paused for approval first. */
    paused: z.boolean().default(false),
    outputIncludes: z.string().optional(),
    outputExcludes: z.string().optional(),
  }),
});
export type Scenario = z.infer<typeof Scenario>;

/** Loads every `*.yaml` scenario in `dir`, sorted by file name; throws naming the file and field of the first invalid one. */
export function loadScenarios(dir: string): Scenario[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return files.map((file) => {
    const raw: unknown = parse(readFileSync(join(dir, file), 'utf8'));
    const parsed = Scenario.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`scenario ${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    if (parsed.data.model === 'scripted' && parsed.data.script === undefined)
      throw new Error(`scenario ${file}: a scripted scenario needs \`script\``);
    if (
      parsed.data.model === 'obedient' &&
      (parsed.data.inject === undefined || parsed.data.attack?.tool === undefined || parsed.data.attack.args === undefined)
    )
      throw new Error(
        `scenario ${file}: an obedient scenario needs \`inject\` and \`attack\` with \`tool\` and \`args\` (the call the text asks for)`,
      );
    if (`${parsed.data.name}.yaml` !== file) throw new Error(`scenario ${file}: name "${parsed.data.name}" must match the file name`);
    return parsed.data;
  });
}

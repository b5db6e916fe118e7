// What `decide` works out for a call it validated, carried with the call in memory only: under a
// symbol key, which neither JSON nor structured clone copies, so it never reaches a checkpoint and a
// resumed call is prepared again from its stored arguments.
import { jsonKey } from './canonical.js';
import type { PlannedCall } from './state.js';

const PREPARED: unique symbol = Symbol('charter.prepared');

interface Prepared {
  /** The arguments this was worked out for: a call whose arguments were replaced (redaction) no longer matches. */
  readonly args: unknown;
  /** What the tool's input schema made of them. */
  readonly input: unknown;
  /** `jsonKey(args)`, written by the first that needs it (loop detection); `null` when the arguments are not plain JSON. */
  key: string | null | undefined;
}

type Carrier = PlannedCall & { readonly [PREPARED]?: Prepared };

/** A call as `decide` plans it, with the schema's output of its (already validated) arguments. */
export function preparedCall(callId: string, tool: string, args: unknown, input: unknown): PlannedCall {
  const call: Carrier = { callId, tool, args, [PREPARED]: { args, input, key: undefined } };
  return call;
}

function preparedOf(call: PlannedCall): Prepared | undefined {
  const prepared = (call as Carrier)[PREPARED];
  return prepared !== undefined && prepared.args === call.args ? prepared : undefined;
}

/** The schema's output of the call's arguments, as `{ value }`, when `decide` validated these very arguments. */
export function validatedInput(call: PlannedCall): { readonly value: unknown } | undefined {
  const prepared = preparedOf(call);
  return prepared === undefined ? undefined : { value: prepared.input };
}

/**
 * `jsonKey(call.args)`, written once per prepared call (loop detection, then the `argsHash` of its
 * `tool.call` event read the same text); `undefined` when the arguments are not plain JSON.
 */
export function argumentsKey(call: PlannedCall): string | undefined {
  const prepared = preparedOf(call);
  if (prepared === undefined) return jsonKey(call.args);
  if (prepared.key === undefined) prepared.key = jsonKey(call.args) ?? null;
  return prepared.key ?? undefined;
}

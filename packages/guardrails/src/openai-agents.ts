// OpenAI Agents SDK adapter (`@openai/agents` 0.20): input/output guardrails (tripwires) and tool
// input/output guardrails (reject the call or the result with a message the model sees).
import type {
  InputGuardrail,
  InputGuardrailFunctionArgs,
  OutputGuardrail,
  OutputGuardrailFunctionArgs,
  ToolGuardrailFunctionOutput,
  ToolInputGuardrailDefinition,
  ToolOutputGuardrailDefinition,
} from '@openai/agents';
import type { GuardrailEngine, GuardrailRun } from './engine.js';
import type { Decision, GuardrailAction, GuardrailRequest } from './types.js';

export interface OpenAIAgentsGuardrailOptions {
  /** Facts for tool rules from the run's context (default: the context object itself when it is a plain object). */
  readonly context?: (runContext: unknown) => Readonly<Record<string, unknown>> | undefined;
  /** Actions that trip a guardrail (default `deny` and `needs-approval`). */
  readonly tripOn?: readonly GuardrailAction[];
  readonly onDecision?: (decision: Decision, request: GuardrailRequest) => void;
  /** Name prefix of the guardrails (default `charter`). */
  readonly name?: string;
}

export interface OpenAIAgentsGuardrails {
  /** For `new Agent({ inputGuardrails: [input] })`. */
  readonly input: InputGuardrail;
  /** For `new Agent({ outputGuardrails: [output] })`. */
  readonly output: OutputGuardrail;
  /** For `tool({ inputGuardrails: [toolInput] })`. */
  readonly toolInput: ToolInputGuardrailDefinition;
  /** For `tool({ outputGuardrails: [toolOutput] })`. */
  readonly toolOutput: ToolOutputGuardrailDefinition;
  /** The guardrail run of an Agents `RunContext` (one per `run()`), created on first use. */
  runFor(runContext: object): GuardrailRun;
}

/** Text of the last user message of an Agents input (a string or a list of items). */
export function lastUserInput(input: string | readonly unknown[]): string {
  if (typeof input === 'string') return input;
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as { role?: unknown; content?: unknown } | undefined;
    if (item?.role !== 'user') continue;
    if (typeof item.content === 'string') return item.content;
    if (Array.isArray(item.content)) {
      return item.content
        .map((part: unknown) => {
          const p = part as { type?: unknown; text?: unknown };
          return p.type === 'input_text' && typeof p.text === 'string' ? p.text : '';
        })
        .filter((text) => text.length > 0)
        .join('\n');
    }
  }
  return '';
}

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * Builds Agents SDK guardrails from a compiled policy. Input/output guardrails trip (the runner throws
 * `InputGuardrailTripwireTriggered` / `OutputGuardrailTripwireTriggered`) on `tripOn` actions; the
 * decision is the guardrail's `outputInfo`. Tool guardrails reject the call or result with a message.
 * Agents guardrails cannot rewrite text: a `redact` decision is reported in `outputInfo` (its
 * `content` holds the redacted text) and does not trip unless `tripOn` includes `redact`.
 */
export function createOpenAIAgentsGuardrails(engine: GuardrailEngine, options: OpenAIAgentsGuardrailOptions = {}): OpenAIAgentsGuardrails {
  const runs = new WeakMap<object, GuardrailRun>();
  const tripOn = new Set<GuardrailAction>(options.tripOn ?? ['deny', 'needs-approval']);
  const prefix = options.name ?? 'charter';
  const factsOf =
    options.context ??
    ((runContext: unknown): Readonly<Record<string, unknown>> | undefined => {
      const value = (runContext as { context?: unknown } | undefined)?.context;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    });
  const runFor = (runContext: object): GuardrailRun => {
    let run = runs.get(runContext);
    if (!run) {
      const context = factsOf(runContext);
      run = engine.createRun(context ? { context } : {});
      runs.set(runContext, run);
    }
    return run;
  };
  const evaluate = async (request: GuardrailRequest, runContext: object): Promise<Decision> => {
    const run = runFor(runContext);
    const decision = engine.hasAsync ? await engine.evaluateAsync(request, run) : engine.evaluate(request, run);
    options.onDecision?.(decision, request);
    return decision;
  };
  const toolOutcome = (decision: Decision): ToolGuardrailFunctionOutput =>
    tripOn.has(decision.action)
      ? {
          behavior: {
            type: 'rejectContent',
            message: `Blocked by guardrail ${decision.ruleId ?? 'policy'} (${decision.action}): ${decision.findings[0]?.message ?? ''}`,
          },
          outputInfo: decision,
        }
      : { behavior: { type: 'allow' }, outputInfo: decision };

  return {
    runFor,
    input: {
      name: `${prefix}-input`,
      runInParallel: false,
      async execute(args: InputGuardrailFunctionArgs) {
        const decision = await evaluate({ hook: 'input', content: lastUserInput(args.input) }, args.context);
        return { tripwireTriggered: tripOn.has(decision.action), outputInfo: decision };
      },
    },
    output: {
      name: `${prefix}-output`,
      async execute(args: OutputGuardrailFunctionArgs) {
        const content = typeof args.agentOutput === 'string' ? args.agentOutput : JSON.stringify(args.agentOutput);
        const decision = await evaluate({ hook: 'output', content }, args.context);
        return { tripwireTriggered: tripOn.has(decision.action), outputInfo: decision };
      },
    },
    toolInput: {
      type: 'tool_input',
      name: `${prefix}-tool-input`,
      async run(data) {
        const request: GuardrailRequest = {
          hook: 'tool-call',
          toolCall: { name: data.toolCall.name, args: parseArguments(data.toolCall.arguments) },
        };
        return toolOutcome(await evaluate(request, data.context));
      },
    },
    toolOutput: {
      type: 'tool_output',
      name: `${prefix}-tool-output`,
      async run(data) {
        const request: GuardrailRequest = {
          hook: 'tool-result',
          content: data.output,
          toolCall: { name: data.toolCall.name, args: parseArguments(data.toolCall.arguments) },
        };
        return toolOutcome(await evaluate(request, data.context));
      },
    },
  };
}

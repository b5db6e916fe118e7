import { mkdirSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AgentError, AgentErrorCode } from './errors.js';
import type { ActionRecord, DecisionRecord, EscalationReason } from './state.js';

/** Everything a human needs to take over a run without asking the customer again. */
export interface ContextPacket {
  readonly v: 1;
  readonly runId: string;
  readonly agent: string;
  readonly tenant: string | undefined;
  readonly user: string | undefined;
  readonly reason: EscalationReason;
  /** One sentence on what happened. */
  readonly message: string;
  /** The conversation as text, redacted by the input/output/tool-result guardrails. */
  readonly transcript: readonly { readonly role: string; readonly text: string }[];
  readonly actions: readonly ActionRecord[];
  readonly decisions: readonly DecisionRecord[];
  readonly budgets: {
    readonly steps: { readonly used: number; readonly limit: number };
    readonly tokens: { readonly used: number; readonly limit: number };
    readonly costUsd: { readonly used: number; readonly limit: number };
    readonly timeMs: { readonly used: number; readonly limit: number };
  };
  /** The manifest playbook that fits the reason, when the manifest lists one. */
  readonly playbook: string | undefined;
  readonly createdAt: string;
}

/** Receives context packets. `send` must resolve once the packet is delivered (or reject). */
export interface EscalationSink {
  readonly channel: string;
  send(packet: ContextPacket): Promise<void>;
}

/** Prints one JSON line per packet (stderr by default). */
export function consoleEscalation(write: (line: string) => void = (line) => process.stderr.write(line)): EscalationSink {
  return {
    channel: 'console',
    send(packet) {
      write(`${JSON.stringify(packet)}\n`);
      return Promise.resolve();
    },
  };
}

/** Appends one JSON line per packet to `path` (created with its directory) and fsyncs it. */
export function jsonlEscalation(path: string): EscalationSink {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new AgentError(AgentErrorCode.Escalation, `cannot create the directory of ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let chain: Promise<void> = Promise.resolve();
  return {
    channel: 'jsonl',
    send(packet) {
      const line = `${JSON.stringify(packet)}\n`;
      const next = chain.then(async () => {
        try {
          const handle = await open(path, 'a');
          try {
            await appendFile(handle, line);
            await handle.sync();
          } finally {
            await handle.close();
          }
        } catch (error) {
          throw new AgentError(
            AgentErrorCode.Escalation,
            `cannot append the escalation of run ${packet.runId} to ${path}: ${(error as Error).message}`,
            { cause: error },
          );
        }
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

export interface WebhookEscalationOptions {
  readonly url: string;
  /** Per attempt; default 5000. */
  readonly timeoutMs?: number;
  /** Attempts on network errors and 5xx/429; default 3. */
  readonly attempts?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: global fetch. */
  readonly fetch?: typeof fetch;
}

/** POSTs each packet as JSON; retries network errors, 429 and 5xx; other statuses fail at once. */
export function webhookEscalation(options: WebhookEscalationOptions): EscalationSink {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new AgentError(AgentErrorCode.BadOptions, `escalation webhook url "${options.url}" is not a URL`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AgentError(AgentErrorCode.BadOptions, `escalation webhook url must be http(s), got ${url.protocol}`);
  const timeoutMs = options.timeoutMs ?? 5000;
  const attempts = options.attempts ?? 3;
  const doFetch = options.fetch ?? fetch;
  return {
    channel: 'webhook',
    async send(packet) {
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const response = await doFetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `escalation:${packet.runId}`, ...options.headers },
            body: JSON.stringify(packet),
            signal: AbortSignal.timeout(timeoutMs),
          });
          await response.arrayBuffer();
          if (response.ok) return;
          last = `HTTP ${response.status}`;
          if (response.status !== 429 && response.status < 500) break;
        } catch (error) {
          last = (error as Error).message;
        }
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
      throw new AgentError(
        AgentErrorCode.Escalation,
        `escalation webhook ${url.origin}${url.pathname} did not take the packet of run ${packet.runId}: ${last}`,
      );
    },
  };
}

/** Collects packets in memory (tests, the scenario runner). */
export interface MemoryEscalation extends EscalationSink {
  readonly packets: readonly ContextPacket[];
}

export function memoryEscalation(): MemoryEscalation {
  const packets: ContextPacket[] = [];
  return {
    channel: 'memory',
    packets,
    send(packet) {
      packets.push(packet);
      return Promise.resolve();
    },
  };
}

/**
 * The sink the manifest's `spec.escalation` names: `console`, `jsonl` (target = file path; a relative
 * one resolves against `manifestDir`, the manifest's folder — `loadAgent(path).dir`) or `webhook`
 * (target = URL). Other channels need a sink passed to `createAgent`.
 */
export function escalationFromManifest(
  escalation: { readonly channel: string; readonly target: string },
  manifestDir?: string,
): EscalationSink {
  switch (escalation.channel) {
    case 'console':
      return consoleEscalation();
    case 'jsonl': {
      if (isAbsolute(escalation.target)) return jsonlEscalation(escalation.target);
      if (manifestDir === undefined)
        throw new AgentError(
          AgentErrorCode.BadOptions,
          `the manifest's escalation target "${escalation.target}" is relative to the manifest's folder, which is not known here: create the agent with \`agent: loadAgent(path)\`, pass the folder, or pass \`escalation\``,
        );
      return jsonlEscalation(resolve(manifestDir, escalation.target));
    }
    case 'webhook':
      return webhookEscalation({ url: escalation.target });
    default:
      throw new AgentError(
        AgentErrorCode.BadOptions,
        `the manifest's escalation channel "${escalation.channel}" has no built-in sink: pass \`escalation\` to createAgent`,
      );
  }
}

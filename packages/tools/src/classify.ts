import { ToolError, ToolErrorCode } from './errors.js';

/** How a failure is reported: a stable code, whether trying again may help, and what happened. */
export interface ToolFailure {
  readonly code: ToolErrorCode;
  readonly retriable: boolean;
  readonly message: string;
  /** Every schema problem, for `TOOL_INPUT` and `TOOL_OUTPUT`. */
  readonly issues?: readonly { readonly path: readonly (string | number)[]; readonly message: string; readonly code: string }[];
}

const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const MAX_MESSAGE = 1000;

/**
 * Classifies anything a tool threw. A `ToolError` (e.g. `TransientToolError`, `PermanentToolError`)
 * says it itself; so does an error with a boolean `retriable`/`retryable` property. Otherwise network
 * error codes and HTTP statuses 408, 425, 429 and 5xx are transient; everything else is permanent, so
 * an unknown failure is never retried.
 */
export function classifyError(tool: string, error: unknown): ToolFailure {
  if (ToolError.isInstance(error)) {
    const issues = (error as { issues?: ToolFailure['issues'] }).issues;
    return issues === undefined
      ? { code: error.code, retriable: error.retriable, message: clip(error.message) }
      : { code: error.code, retriable: error.retriable, message: clip(error.message), issues };
  }
  const message = `tool "${tool}" failed: ${clip(describe(error))}`;
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    const flag = typeof record.retriable === 'boolean' ? record.retriable : record.retryable;
    if (typeof flag === 'boolean') return { code: flag ? ToolErrorCode.Transient : ToolErrorCode.Failed, retriable: flag, message };
    const code = record.code;
    if (typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code)) return { code: ToolErrorCode.Transient, retriable: true, message };
    const status = typeof record.status === 'number' ? record.status : record.statusCode;
    if (typeof status === 'number' && (status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599))) {
      return { code: ToolErrorCode.Transient, retriable: true, message };
    }
  }
  return { code: ToolErrorCode.Failed, retriable: false, message };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return toJson(error) ?? String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/** `JSON.stringify`, typed as it behaves: undefined for undefined, functions and symbols. */
export function toJson(value: unknown): string | undefined {
  const json: string | undefined = JSON.stringify(value);
  return json;
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

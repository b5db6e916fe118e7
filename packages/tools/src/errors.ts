import type { McpScanFinding } from './mcp-scan.js';

/** Stable codes of every error `@charter/tools` raises or reports in a failed `ToolResult`. */
export const ToolErrorCode = {
  /** `defineTool` was given an invalid definition (name, version, limits). */
  Definition: 'TOOL_DEFINITION',
  /** The input does not match the tool's input schema; `issues` lists every problem. */
  Input: 'TOOL_INPUT',
  /** The tool returned a value that breaks its own output schema. */
  Output: 'TOOL_OUTPUT',
  /** An attempt exceeded the tool's `timeoutMs`. */
  Timeout: 'TOOL_TIMEOUT',
  /** The caller's signal aborted the call. */
  Aborted: 'TOOL_ABORTED',
  /** The circuit breaker is open (or half-open with its probe in flight): failing fast. */
  Unavailable: 'TOOL_UNAVAILABLE',
  /** The bulkhead is full: too many concurrent calls of this tool. */
  Busy: 'TOOL_BUSY',
  /** The tool failed with a transient error (it may succeed if tried again). */
  Transient: 'TOOL_TRANSIENT',
  /** The tool failed permanently (trying again will not help). */
  Failed: 'TOOL_FAILED',
  /** A `before` hook refused the call (guardrail, approval denied). */
  Refused: 'TOOL_REFUSED',
  /** Simulate mode: the tool has side effects and no `simulate` function. */
  SimulationUnavailable: 'TOOL_SIMULATION_UNAVAILABLE',
  /** An earlier call with this idempotency key started and never completed, and its owner is gone: the effect may have happened. */
  InDoubt: 'TOOL_IN_DOUBT',
  /** An identical call (same idempotency key) is still running elsewhere and did not finish within the wait: try again for its result. */
  InFlight: 'TOOL_IN_FLIGHT',
  /** The tool asked for a credential scope it did not declare or the manifest did not grant. */
  ScopeNotGranted: 'TOOL_SCOPE_NOT_GRANTED',
  /** The credential provider has no credential for a granted scope. */
  CredentialMissing: 'TOOL_CREDENTIAL_MISSING',
  /** A tool put one of its credentials into its result or error. */
  CredentialLeak: 'TOOL_CREDENTIAL_LEAK',
  /** The executor has no tool of this name. */
  NotFound: 'TOOL_NOT_FOUND',
  /** The registry has the tool but no version satisfying the manifest's range. */
  NoMatchingVersion: 'TOOL_NO_MATCHING_VERSION',
  /** The tool's declared side effects differ from the manifest's grant. */
  SideEffectsMismatch: 'TOOL_SIDE_EFFECTS_MISMATCH',
  /** The registry already holds this name@version. */
  Duplicate: 'TOOL_DUPLICATE',
  /** Resolving a manifest against the registry failed; `problems` lists every reason. */
  Resolve: 'TOOL_RESOLVE',
  /** The idempotency ledger could not be read or written. */
  Ledger: 'TOOL_LEDGER',
  /** A tool schema export is malformed, or two exports cannot be compared. */
  Schema: 'TOOL_SCHEMA',
  /** The version bump does not match the schema changes. */
  VersionBump: 'TOOL_VERSION_BUMP',
  /** An MCP server or client operation failed. */
  Mcp: 'TOOL_MCP',
  /** An MCP import was refused: the scan found tool poisoning, a typosquat or a rug pull (`findings` lists them). */
  McpScan: 'TOOL_MCP_SCAN',
  /** A tool lock file (`charter.tools.lock`) is malformed. */
  Lock: 'TOOL_LOCK',
} as const;
export type ToolErrorCode = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

const marker = Symbol.for('charter.tools.error');

/** Base class of every error of `@charter/tools`. `retriable` says whether trying again may help. */
export class ToolError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'ToolError';
  readonly code: ToolErrorCode;
  readonly retriable: boolean;

  constructor(code: ToolErrorCode, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options?.retriable ?? false;
  }

  /** True for a ToolError from any copy of this package. */
  static isInstance(value: unknown): value is ToolError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** One zod issue of a rejected input or output, with its path. */
export interface ToolIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

export class ToolDefinitionError extends ToolError {
  override readonly name = 'ToolDefinitionError';
  constructor(message: string) {
    super(ToolErrorCode.Definition, message);
  }
}

/** The input broke the tool's input schema. Permanent: the caller must fix the input. */
export class ToolInputError extends ToolError {
  override readonly name = 'ToolInputError';
  readonly issues: readonly ToolIssue[];
  constructor(tool: string, issues: readonly ToolIssue[]) {
    super(ToolErrorCode.Input, `invalid input for tool "${tool}": ${formatIssues(issues)}`);
    this.issues = issues;
  }
}

/** The tool's result broke its own output schema: a bug in the tool. */
export class ToolOutputError extends ToolError {
  override readonly name = 'ToolOutputError';
  readonly issues: readonly ToolIssue[];
  constructor(tool: string, issues: readonly ToolIssue[]) {
    super(ToolErrorCode.Output, `tool "${tool}" broke its output contract: ${formatIssues(issues)}`);
    this.issues = issues;
  }
}

export class ToolTimeoutError extends ToolError {
  override readonly name = 'ToolTimeoutError';
  constructor(tool: string, timeoutMs: number, retriable = true) {
    super(ToolErrorCode.Timeout, `tool "${tool}" did not finish within ${timeoutMs} ms`, { retriable });
  }
}

export class ToolUnavailableError extends ToolError {
  override readonly name = 'ToolUnavailableError';
  constructor(tool: string, retryAfterMs: number) {
    super(ToolErrorCode.Unavailable, `tool "${tool}" is unavailable (circuit open): try again in ${retryAfterMs} ms`, { retriable: true });
  }
}

export class ToolBusyError extends ToolError {
  override readonly name = 'ToolBusyError';
  constructor(tool: string, maxConcurrent: number) {
    super(ToolErrorCode.Busy, `tool "${tool}" already runs ${maxConcurrent} calls (bulkhead full): try again later`, { retriable: true });
  }
}

/** Thrown by a tool to say "this may succeed if tried again" (rate limit, network blip). */
export class TransientToolError extends ToolError {
  override readonly name = 'TransientToolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ToolErrorCode.Transient, message, { ...options, retriable: true });
  }
}

/** Thrown by a tool to say "trying again will not help" (not found, forbidden, invalid state). */
export class PermanentToolError extends ToolError {
  override readonly name = 'PermanentToolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ToolErrorCode.Failed, message, { ...options, retriable: false });
  }
}

/** Credential errors: the message names the scope, never a credential value. */
export class ToolScopeError extends ToolError {
  override readonly name = 'ToolScopeError';
  readonly scope: string;
  constructor(code: typeof ToolErrorCode.ScopeNotGranted | typeof ToolErrorCode.CredentialMissing, tool: string, scope: string) {
    super(
      code,
      code === ToolErrorCode.ScopeNotGranted
        ? `tool "${tool}" asked for scope "${scope}", which it does not declare or the manifest does not grant`
        : `no credential for scope "${scope}" (tool "${tool}"): configure the credential provider`,
    );
    this.scope = scope;
  }
}

/** One reason a manifest could not be resolved against a registry. */
export interface ResolveProblem {
  readonly tool: string;
  readonly code: typeof ToolErrorCode.NotFound | typeof ToolErrorCode.NoMatchingVersion | typeof ToolErrorCode.SideEffectsMismatch;
  readonly message: string;
}

export class ToolResolveError extends ToolError {
  override readonly name = 'ToolResolveError';
  readonly problems: readonly ResolveProblem[];
  constructor(problems: readonly ResolveProblem[]) {
    super(ToolErrorCode.Resolve, `cannot resolve the manifest's tools: ${problems.map((p) => p.message).join('; ')}`);
    this.problems = problems;
  }
}

/** `importMcpTools` refused a server's tools: every error finding of the scan is in `findings`. */
export class McpScanError extends ToolError {
  override readonly name = 'McpScanError';
  readonly findings: readonly McpScanFinding[];
  constructor(findings: readonly McpScanFinding[]) {
    const shown = findings.slice(0, 5).map((f) => `${f.tool}${f.path}: ${f.kind}${f.rule === undefined ? '' : ` (${f.rule})`}`);
    if (findings.length > 5) shown.push(`… and ${findings.length - 5} more`);
    super(
      ToolErrorCode.McpScan,
      `refused to import the MCP tools: ${shown.join('; ')}; review them with "charter tools scan" (a reviewed change needs a version bump or a new lock)`,
    );
    this.findings = findings;
  }
}

const MAX_LISTED_ISSUES = 20;

function formatIssues(issues: readonly ToolIssue[]): string {
  const listed = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`);
  if (issues.length > MAX_LISTED_ISSUES) listed.push(`… and ${issues.length - MAX_LISTED_ISSUES} more`);
  return listed.join('; ');
}

export { defineTool, DEFAULT_BREAKER, DEFAULT_RETRY } from './define.js';
export type {
  AnyTool,
  BreakerOptions,
  Reconciliation,
  RetryOptions,
  SideEffects,
  Tool,
  ToolContext,
  ToolDefinition,
  ToolInput,
  ToolInputArg,
  ToolOutput,
} from './define.js';
export { createExecutor } from './executor.js';
export type {
  BeforeDecision,
  CallMeta,
  ExecuteContext,
  Executor,
  ExecutorOptions,
  ToolCall,
  ToolDescription,
  ToolHooks,
  ToolResult,
} from './executor.js';
export { classifyError } from './classify.js';
export type { ToolFailure } from './classify.js';
export type { BreakerState } from './breaker.js';
export { envCredentials, envName } from './credentials.js';
export type { CredentialProvider, Credentials } from './credentials.js';
export { FileLedger, InFlightError, LedgerError, MemoryLedger } from './ledger.js';
export type { FileLedgerOptions, IdempotencyLedger, LedgerLockOptions, LedgerRecord, MemoryLedgerOptions } from './ledger.js';
export { createRegistry, toolsetOf } from './registry.js';
export type { ResolvedTool, ResolvedToolset, ToolGrantLike, ToolRegistry } from './registry.js';
export {
  McpScanError,
  PermanentToolError,
  ToolBusyError,
  ToolDefinitionError,
  ToolError,
  ToolErrorCode,
  ToolInputError,
  ToolOutputError,
  ToolResolveError,
  ToolScopeError,
  ToolTimeoutError,
  ToolUnavailableError,
  TransientToolError,
} from './errors.js';
export type { ResolveProblem, ToolIssue } from './errors.js';
export { assertVersionBump, diffToolSchemas, exportToolSchema, parseToolSchemaExport } from './schema.js';
export type { Bump, JsonSchema, SchemaChange, SchemaChangeKind, ToolSchemaDiff, ToolSchemaExport } from './schema.js';
export {
  createToolLock,
  detectHiddenInstructions,
  editDistance,
  formatToolLock,
  parseToolLock,
  scanMcpTools,
  toolDigest,
  toolVersion,
} from './mcp-scan.js';
export type {
  InstructionDetector,
  InstructionHit,
  LockedTool,
  McpFindingKind,
  McpScanFinding,
  McpScanOptions,
  McpScanReport,
  McpServerInfo,
  McpToolDescriptor,
  ToolLock,
} from './mcp-scan.js';

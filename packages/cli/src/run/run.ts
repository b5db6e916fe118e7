// `charter run` as a function: an agent package run once from its manifest and its tools module.
//
// The convention (documented in the CLI README): the package's package.json names
// - the manifest: `charter.manifest` (default `agent.yaml` beside package.json);
// - the tools module: `charter.tools`, a subpath of its `exports` (e.g. "./tools") or a file
//   (e.g. "./dist/tools.js"); without it, `exports["./tools"]`.
// The tools module exports `createTools(options?)` (a fresh toolset; `options.faults` injects a scenario's
// faults) or `tools`, and optionally `instructions` (the system prompt), `canaries` and `context` (the
// run-context facts used when the scenario gives none).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentError, createAgent, MemoryStore, memoryEscalation, type Agent, type ContextFact, type RunResult } from '@charter/agent';
import { gullible, scripted } from '@charter/agent/models';
import { requireAgent, type ValidAgent } from '@charter/spec';
import { createMemorySink, createTelemetry, type TelemetryEvent } from '@charter/telemetry';
import { MemoryLedger, type AnyTool } from '@charter/tools';
import { parse } from 'yaml';
import { CliError, CliErrorCode } from '../errors.js';

export type RunModel = 'offline' | 'manifest';

export interface RunAgentOptions {
  /** The agent package's folder (holding package.json and the manifest). */
  readonly dir: string;
  /** The user's message. Give this or `scenario`. */
  readonly input?: string;
  /** A scenario file: `input`, and optionally `script` (the offline model's turns), `context`, `faults`, `approval`. */
  readonly scenario?: string;
  /** `offline` (default): the scenario's scripted model, else `gullible()`; `manifest`: the manifest's `spec.model` from the environment. */
  readonly model?: RunModel;
  /** The environment `manifest` models read their endpoint and key from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface AgentRun {
  readonly agent: string;
  readonly manifest: string;
  readonly toolsModule: string;
  readonly model: string;
  readonly input: string;
  /** The first result when the run paused for approval and the scenario answered it. */
  readonly paused: RunResult | undefined;
  readonly result: RunResult;
  /** Every telemetry event of the run, in order (content not captured). */
  readonly events: readonly TelemetryEvent[];
}

interface PackageJson {
  readonly name?: string;
  readonly exports?: unknown;
  readonly charter?: { readonly manifest?: string; readonly tools?: string };
}

interface ToolsModule {
  readonly createTools?: (options?: { faults?: unknown }) => readonly AnyTool[] | Promise<readonly AnyTool[]>;
  readonly tools?: readonly AnyTool[];
  readonly instructions?: string;
  readonly canaries?: readonly string[];
  readonly context?: Readonly<Record<string, ContextFact>>;
}

interface ScenarioFile {
  readonly input: string;
  readonly script?: unknown;
  readonly context?: Readonly<Record<string, ContextFact>>;
  readonly faults?: unknown;
  readonly approval?: { readonly approved: boolean; readonly approver: string; readonly reason?: string };
}

const ioError = (message: string, cause?: unknown): CliError =>
  new CliError(CliErrorCode.Io, message, cause === undefined ? undefined : { cause });
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The file an `exports` entry points at for `import` (a string, or the `import`/`node`/`default` condition). */
function exportTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (!isRecord(entry)) return undefined;
  for (const condition of ['import', 'node', 'default']) {
    const target = exportTarget(entry[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}

/** Where the tools module of the package in `dir` is, by the convention above. */
export function toolsModulePath(dir: string, pkg: PackageJson): string {
  const spec = pkg.charter?.tools ?? './tools';
  const exports = isRecord(pkg.exports) ? pkg.exports : undefined;
  const fromExports = exports === undefined ? undefined : exportTarget(exports[spec]);
  if (fromExports !== undefined) return resolve(dir, fromExports);
  if (pkg.charter?.tools !== undefined) return resolve(dir, pkg.charter.tools);
  throw ioError(
    `${join(dir, 'package.json')} names no tools module: add "exports": { "./tools": "./dist/tools.js" } (or "charter": { "tools": "<file>" })`,
  );
}

function readPackage(dir: string): PackageJson {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) throw ioError(`no package.json in ${dir}: name the agent's package folder`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (error) {
    throw ioError(`${file} is not valid JSON: ${(error as Error).message}`, error);
  }
}

async function loadToolsModule(file: string): Promise<ToolsModule> {
  try {
    return (await import(pathToFileURL(file).href)) as ToolsModule;
  } catch (error) {
    throw ioError(`cannot load the tools module ${file}: ${(error as Error).message}`, error);
  }
}

function readScenario(file: string): ScenarioFile {
  if (!existsSync(file) || !statSync(file).isFile()) throw ioError(`no scenario at ${file}: check the path`);
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw ioError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`, error);
  }
  if (!isRecord(document) || typeof document.input !== 'string' || document.input === '')
    throw ioError(`${file} is not a scenario: it needs an "input" (the user's message)`);
  return document as unknown as ScenarioFile;
}

/**
 * Runs the agent package in `options.dir` once and returns the run with its telemetry events. Throws
 * `CliError` (`CLI_IO`, exit 2) for a missing package.json, manifest or tools module, an unbuilt package
 * or an unreadable scenario; `SpecError` when the manifest does not load cleanly.
 */
export async function runAgentPackage(options: RunAgentOptions): Promise<AgentRun> {
  const dir = resolve(options.dir);
  const pkg = readPackage(dir);
  const manifest = resolve(dir, pkg.charter?.manifest ?? 'agent.yaml');
  if (!existsSync(manifest))
    throw ioError(`no Agent Manifest at ${manifest}: the package needs agent.yaml (or "charter": { "manifest": … })`);
  const scenario = options.scenario === undefined ? undefined : readScenario(resolve(options.scenario));
  const input = scenario?.input ?? options.input;
  if (input === undefined) throw new CliError(CliErrorCode.Usage, 'give --input <text> or --scenario <file>');
  const toolsModule = toolsModulePath(dir, pkg);
  if (!existsSync(toolsModule)) throw ioError(`the tools module ${toolsModule} does not exist: build the package first (npm run build)`);
  const agentSpec: ValidAgent = requireAgent(manifest);
  const module = await loadToolsModule(toolsModule);
  const tools =
    typeof module.createTools === 'function'
      ? await module.createTools(scenario?.faults === undefined ? {} : { faults: scenario.faults })
      : module.tools;
  if (!Array.isArray(tools)) throw ioError(`${toolsModule} exports neither createTools() nor tools`);

  const modelChoice = options.model ?? 'offline';
  let model: ReturnType<typeof gullible> | undefined;
  let modelName: string;
  if (modelChoice === 'offline') {
    model = scenario?.script === undefined ? gullible() : scripted(scenario.script as Parameters<typeof scripted>[0]);
    modelName = scenario?.script === undefined ? 'offline: gullible' : 'offline: scripted (the scenario)';
  } else {
    modelName = `${agentSpec.manifest.spec.model.provider}: ${agentSpec.manifest.spec.model.id}`;
  }
  const sink = createMemorySink();
  const telemetry = createTelemetry({ agent: agentSpec.manifest.metadata.name, sinks: [sink] });
  let agent: Agent;
  try {
    agent = createAgent({
      agent: agentSpec,
      ...(model === undefined ? {} : { model }),
      ...(model === undefined && options.env !== undefined ? { env: options.env } : {}),
      tools,
      telemetry,
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
      escalation: memoryEscalation(),
      ...(typeof module.instructions === 'string' ? { instructions: module.instructions } : {}),
      ...(Array.isArray(module.canaries) ? { canaries: module.canaries.filter((c): c is string => typeof c === 'string') } : {}),
    });
  } catch (error) {
    // The agent cannot be built from what it was given (a model the manifest names but the environment
    // does not configure, tools that do not match the grants): bad input, never a crash.
    if (!AgentError.isInstance(error)) throw error;
    throw ioError(`cannot create the agent from ${manifest} (${modelName}): ${error.message}`, error);
  }
  try {
    const context = scenario?.context ?? module.context;
    let result = await agent.run(input, { user: 'charter-run', ...(context === undefined ? {} : { context }) });
    let paused: RunResult | undefined;
    if (result.status === 'paused' && scenario?.approval !== undefined) {
      paused = result;
      result = await agent.resume(result.runId, scenario.approval);
    }
    await telemetry.flush();
    return {
      agent: agentSpec.manifest.metadata.name,
      manifest,
      toolsModule,
      model: modelName,
      input,
      paused,
      result,
      events: [...sink.events],
    };
  } finally {
    await agent.close();
  }
}

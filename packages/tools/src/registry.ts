import type { AgentManifest, ToolGrant } from '@charter/spec';
import { semver } from './semver-lazy.js';
import type { AnyTool } from './define.js';
import { type ResolveProblem, ToolError, ToolErrorCode, ToolResolveError } from './errors.js';

/** The part of a manifest tool grant the registry reads. */
export type ToolGrantLike = Pick<ToolGrant, 'name' | 'version' | 'sideEffects'> & {
  readonly scopes?: readonly string[];
  readonly approval?: string;
};

/** A tool picked for an agent, with what the manifest grants it. */
export interface ResolvedTool {
  readonly tool: AnyTool;
  readonly grant: ToolGrantLike | undefined;
  /** Credential scopes the call may use: declared by the tool and granted by the manifest. */
  readonly scopes: readonly string[];
}

/** The tools of one agent, by name: what `createExecutor` runs. */
export interface ResolvedToolset {
  readonly tools: ReadonlyMap<string, ResolvedTool>;
}

export interface ToolRegistry {
  /** Every registered tool, all versions. */
  list(): readonly AnyTool[];
  /** The registered versions of a tool, highest first. */
  versions(name: string): readonly string[];
  /** The highest version of `name` satisfying `range` (default `*`). */
  get(name: string, range?: string): AnyTool | undefined;
  /**
   * Picks, for every tool the manifest grants, the highest version satisfying its range. Throws
   * `ToolResolveError` listing every tool that is missing, has no matching version, or declares other
   * side effects than the manifest grants.
   */
  resolve(
    manifest: AgentManifest | { readonly spec: { readonly tools: readonly ToolGrantLike[] } } | readonly ToolGrantLike[],
  ): ResolvedToolset;
}

const ORDER = { none: 0, reversible: 1, irreversible: 2 } as const;

/** Builds a registry of tool versions. Throws `ToolError` (`TOOL_DUPLICATE`) for a repeated name@version. */
export function createRegistry(tools: readonly AnyTool[]): ToolRegistry {
  const byName = new Map<string, AnyTool[]>();
  for (const tool of tools) {
    const list = byName.get(tool.name) ?? [];
    if (list.some((other) => semver.eq(other.version, tool.version))) {
      throw new ToolError(ToolErrorCode.Duplicate, `tool ${tool.name}@${tool.version} is registered twice`);
    }
    list.push(tool);
    byName.set(tool.name, list);
  }
  for (const list of byName.values()) list.sort((a, b) => semver.rcompare(a.version, b.version));

  const get = (name: string, range = '*'): AnyTool | undefined => byName.get(name)?.find((tool) => semver.satisfies(tool.version, range));

  return {
    list: () => [...byName.values()].flat(),
    versions: (name) => (byName.get(name) ?? []).map((tool) => tool.version),
    get,
    resolve(manifest) {
      const grants: readonly ToolGrantLike[] = Array.isArray(manifest)
        ? manifest
        : (manifest as { spec: { tools: readonly ToolGrantLike[] } }).spec.tools;
      const problems: ResolveProblem[] = [];
      const resolved = new Map<string, ResolvedTool>();
      for (const grant of grants) {
        const available = byName.get(grant.name);
        if (available === undefined) {
          problems.push({ tool: grant.name, code: ToolErrorCode.NotFound, message: `no tool "${grant.name}" is registered` });
          continue;
        }
        const tool = get(grant.name, grant.version);
        if (tool === undefined) {
          problems.push({
            tool: grant.name,
            code: ToolErrorCode.NoMatchingVersion,
            message: `no version of "${grant.name}" satisfies ${grant.version} (registered: ${available.map((t) => t.version).join(', ')})`,
          });
          continue;
        }
        if (tool.sideEffects !== grant.sideEffects) {
          const hint =
            ORDER[tool.sideEffects] > ORDER[grant.sideEffects]
              ? 'the manifest would skip the approvals its real effects need'
              : 'update the manifest so approvals match the tool';
          problems.push({
            tool: grant.name,
            code: ToolErrorCode.SideEffectsMismatch,
            message: `${tool.name}@${tool.version} declares sideEffects "${tool.sideEffects}" but the manifest grants "${grant.sideEffects}": ${hint}`,
          });
          continue;
        }
        const granted = grant.scopes ?? [];
        resolved.set(grant.name, { tool, grant, scopes: Object.freeze(tool.scopes.filter((scope) => granted.includes(scope))) });
      }
      if (problems.length > 0) throw new ToolResolveError(problems);
      return { tools: resolved };
    },
  };
}

/** A toolset from tools alone, without a manifest: no credential scope is granted. */
export function toolsetOf(tools: readonly AnyTool[]): ResolvedToolset {
  const map = new Map<string, ResolvedTool>();
  for (const tool of tools) {
    if (map.has(tool.name))
      throw new ToolError(ToolErrorCode.Duplicate, `tool "${tool.name}" appears twice: resolve versions through a registry`);
    map.set(tool.name, { tool, grant: undefined, scopes: [] });
  }
  return { tools: map };
}

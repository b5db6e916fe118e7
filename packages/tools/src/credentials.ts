import { ToolErrorCode, ToolScopeError } from './errors.js';

/** Where credentials come from (a vault, the environment). Asked only for granted scopes. */
export interface CredentialProvider {
  get(scope: string, request: { readonly tool: string; readonly runId: string }): string | undefined | Promise<string | undefined>;
}

/** What a tool sees as `ctx.credentials`: only the scopes it declares and the manifest grants. */
export interface Credentials {
  /** The scopes this call may ask for. */
  readonly scopes: readonly string[];
  /** The credential of a granted scope; `ToolScopeError` for any other scope or a missing credential. */
  get(scope: string): Promise<string>;
  /** `[Credentials scopes=…]`: never a value (so are `toJSON` and `util.inspect`). */
  toString(): string;
}

/**
 * Reads credentials from environment variables: scope `payments:refund` →
 * `CHARTER_CREDENTIAL_PAYMENTS_REFUND` (upper case, every non-alphanumeric character → `_`).
 */
export function envCredentials(
  env: Readonly<Record<string, string | undefined>> = process.env,
  prefix = 'CHARTER_CREDENTIAL_',
): CredentialProvider {
  return {
    get(scope) {
      const value = env[envName(scope, prefix)];
      return value === '' ? undefined : value;
    },
  };
}

/** The environment variable `envCredentials` reads for a scope. */
export function envName(scope: string, prefix = 'CHARTER_CREDENTIAL_'): string {
  let name = prefix;
  for (const char of scope.toUpperCase()) name += (char >= 'A' && char <= 'Z') || (char >= '0' && char <= '9') ? char : '_';
  return name;
}

const REDACTED = '[REDACTED]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * One call's credentials. Remembers the values it handed out so the executor can keep them out of
 * results and error messages; prints as `[Credentials scopes=…]`, never with values.
 */
export class CallCredentials implements Credentials {
  readonly scopes: readonly string[];
  readonly #tool: string;
  readonly #runId: string;
  readonly #provider: CredentialProvider;
  #issued: string[] | undefined;

  constructor(tool: string, runId: string, scopes: readonly string[], provider: CredentialProvider) {
    this.#tool = tool;
    this.#runId = runId;
    this.scopes = scopes;
    this.#provider = provider;
  }

  async get(scope: string): Promise<string> {
    if (!this.scopes.includes(scope)) throw new ToolScopeError(ToolErrorCode.ScopeNotGranted, this.#tool, scope);
    const value = await this.#provider.get(scope, { tool: this.#tool, runId: this.#runId });
    if (typeof value !== 'string' || value.length === 0) throw new ToolScopeError(ToolErrorCode.CredentialMissing, this.#tool, scope);
    (this.#issued ??= []).push(value);
    return value;
  }

  /** True when a handed-out credential occurs in the text. */
  leaksInto(text: string): boolean {
    const issued = this.#issued;
    if (issued === undefined) return false;
    for (const secret of issued) if (text.includes(secret)) return true;
    return false;
  }

  /** The text with every handed-out credential replaced by `[REDACTED]`. */
  redact(text: string): string {
    const issued = this.#issued;
    if (issued === undefined) return text;
    let out = text;
    for (const secret of issued) out = out.split(secret).join(REDACTED);
    return out;
  }

  get issuedAny(): boolean {
    return this.#issued !== undefined;
  }

  toJSON(): { scopes: readonly string[] } {
    return { scopes: this.scopes };
  }

  toString(): string {
    return `[Credentials scopes=${this.scopes.join(',')}]`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

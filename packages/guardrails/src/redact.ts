import type * as NodeCrypto from 'node:crypto';
import { GuardrailError, GuardrailErrorCode } from './errors.js';
import type { RedactionMode } from './types.js';

// node:crypto is not loaded by Node at startup and costs ≈ 4 ms to load: it is fetched on first use
// (process.getBuiltinModule, Node ≥ 20.16) instead of imported, and kept here for the hot paths.
let cryptoModule: typeof NodeCrypto | undefined;
function nodeCrypto(): typeof NodeCrypto {
  cryptoModule ??= process.getBuiltinModule('node:crypto');
  return cryptoModule;
}

/** Per-run memory of numbered placeholders: the same value gets the same `[EMAIL_1]` all run long. */
export class PlaceholderState {
  private readonly byValue = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  placeholder(entity: string, value: string): string {
    const key = `${entity}\u0000${value}`;
    const existing = this.byValue.get(key);
    if (existing !== undefined) return existing;
    const next = (this.counters.get(entity) ?? 0) + 1;
    this.counters.set(entity, next);
    const placeholder = `[${entity}_${next}]`;
    this.byValue.set(key, placeholder);
    return placeholder;
  }
}

export interface RedactionSpan {
  readonly start: number;
  readonly end: number;
  readonly entity?: string | undefined;
  readonly redaction?: RedactionMode | 'remove' | undefined;
}

/** Salted hash token: `[EMAIL:1a2b3c4d5e6f]` (HMAC-SHA-256, first 12 hex digits). */
export function hashToken(entity: string, value: string, salt: string | undefined): string {
  if (salt === undefined || salt.length === 0)
    throw new GuardrailError(
      GuardrailErrorCode.MissingSalt,
      'redaction mode "hash" needs a salt: pass { salt } when compiling the policy or creating the redactor',
    );
  return `[${entity}:${nodeCrypto().createHmac('sha256', salt).update(value).digest('hex').slice(0, 12)}]`;
}

/** Replaces spans (merged where they overlap) by their redaction. */
export function redactText(text: string, spans: readonly RedactionSpan[], state: PlaceholderState, salt: string | undefined): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let cursor = 0;
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i];
    if (!first) break;
    let end = first.end;
    let j = i + 1;
    while (j < sorted.length && (sorted[j]?.start ?? Infinity) < end) {
      end = Math.max(end, sorted[j]?.end ?? end);
      j++;
    }
    const start = Math.max(first.start, cursor);
    if (end > start) {
      out += text.slice(cursor, start);
      const value = text.slice(start, end);
      const entity = first.entity ?? 'REDACTED';
      switch (first.redaction ?? 'mask') {
        case 'placeholder':
          out += state.placeholder(entity, value);
          break;
        case 'hash':
          out += hashToken(entity, value, salt);
          break;
        case 'remove':
          break;
        case 'mask':
          out += '*'.repeat(value.length);
          break;
      }
      cursor = end;
    }
    i = j;
  }
  return out + text.slice(cursor);
}

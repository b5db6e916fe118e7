import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load } from 'js-yaml';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { SourceLocation } from './types.js';

/** A YAML file read once: its plain value (read leniently) and the position of any JSON pointer in it. */
export interface YamlSource {
  /** Absolute path. */
  readonly path: string;
  /** Path shown in results (relative to the agent's folder). */
  readonly display: string;
  readonly text: string;
  /** The document as plain data; `undefined` when the text is not YAML or empty. */
  readonly value: unknown;
  /** The range of the node at `pointer`, or of its nearest existing parent (never undefined: line 1 at worst). */
  locate(pointer: string): SourceLocation;
}

function segments(pointer: string): (string | number)[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => {
      const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
      return /^\d{1,9}$/.test(key) ? Number(key) : key;
    });
}

/** Reads a YAML file (first document) for rules: a lenient value plus positions for their results. */
export function readYamlSource(path: string, display: string, text: string = readFileSync(path, 'utf8')): YamlSource {
  const lineCounter = new LineCounter();
  let document: Document | undefined;
  let parsed = false;
  // The CST (positions) is built on the first `locate` or when the fast reader cannot settle the text.
  const cst = (): Document | undefined => {
    if (!parsed) {
      parsed = true;
      try {
        document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
      } catch {
        document = undefined;
      }
    }
    return document;
  };
  let value: unknown;
  try {
    // js-yaml under the core schema gives the same values as the CST parser, several times faster.
    value = load(text, { schema: CORE_SCHEMA, json: false });
  } catch {
    const doc = cst();
    value = doc === undefined || doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 50 });
  }
  const cache = new Map<string, SourceLocation>();
  const at = (offset: number, end: number, pointer: string): SourceLocation => {
    const start = lineCounter.linePos(offset);
    const stop = lineCounter.linePos(end);
    return { file: display, line: start.line, column: start.col, endLine: stop.line, endColumn: stop.col, pointer };
  };
  return {
    path,
    display,
    text,
    value,
    locate(pointer: string): SourceLocation {
      const cached = cache.get(pointer);
      if (cached) return cached;
      let result: SourceLocation = { file: display, line: 1, column: 1, endLine: 1, endColumn: 1, pointer };
      const document = cst();
      if (document !== undefined) {
        const path = segments(pointer);
        // The deepest existing node along the pointer: a missing key points at its parent.
        for (let depth = path.length; depth >= 0; depth--) {
          const prefix = path.slice(0, depth);
          const node = (prefix.length === 0 ? document.contents : document.getIn(prefix, true)) as
            { range?: readonly [number, number, number] } | null | undefined;
          if (node?.range) {
            // A key's position is more useful than a whole mapping's: point at the key when the node is a collection.
            const parent = prefix.length === 0 ? undefined : document.getIn(prefix.slice(0, -1), true);
            const last = prefix.at(-1);
            if ((isMap(node) || isSeq(node)) && isMap(parent) && last !== undefined) {
              const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === last);
              const keyRange = (pair?.key as { range?: readonly [number, number, number] } | null)?.range;
              if (keyRange) {
                result = at(keyRange[0], keyRange[1], pointer);
                break;
              }
            }
            result = at(node.range[0], node.range[1], pointer);
            break;
          }
        }
      }
      cache.set(pointer, result);
      return result;
    },
  };
}

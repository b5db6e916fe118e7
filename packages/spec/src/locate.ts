import { yamlCst } from './yaml-lazy.js';

/** A 1-based source position range. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/**
 * Where the node at a JSON pointer sits in YAML text, for reporting problems found after loading
 * (e.g. a manifest's `spec.policy` naming a file that does not exist). Undefined when absent.
 */
export function locatePointer(text: string, pointer: string, documentIndex = 0): SourcePosition | undefined {
  return pointerLocator(text, documentIndex)(pointer);
}

/** Finds JSON pointers in one parsed YAML document; with `pair`, a mapping entry spans its key and value. */
export interface PointerLocator {
  (pointer: string, options?: { readonly pair?: boolean }): SourcePosition | undefined;
  /** 0-based index of the document searched (-1 when there is none). */
  readonly document: number;
}

type Ranged = { range?: readonly [number, number, number] } | null | undefined;

/**
 * Parses YAML text once and returns a function that finds JSON pointers in one of its documents:
 * the one at `document` (an index), or the first whose `kind` is `document` (a string).
 */
export function pointerLocator(text: string, document: number | string = 0): PointerLocator {
  const { LineCounter, parseAllDocuments, isMap, isScalar } = yamlCst();
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter });
  const documents = Array.isArray(parsed) ? parsed : [];
  const index = typeof document === 'number' ? document : documents.findIndex((doc) => doc.get('kind') === document);
  const chosen = documents[index];
  const position = (from: number, to: number): SourcePosition => {
    const start = lineCounter.linePos(from);
    const end = lineCounter.linePos(to);
    return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };
  const locate = (pointer: string, options: { readonly pair?: boolean } = {}): SourcePosition | undefined => {
    if (!chosen) return undefined;
    const path = pointer === '' ? [] : pointerPath(pointer);
    const node = (path.length === 0 ? chosen.contents : chosen.getIn(path, true)) as Ranged;
    if (!node?.range) return undefined;
    const last = path.at(-1);
    if (options.pair === true && typeof last === 'string') {
      const parent: unknown = path.length === 1 ? chosen.contents : chosen.getIn(path.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === last);
        const key = pair?.key as Ranged;
        if (key?.range) return position(key.range[0], node.range[1]);
      }
    }
    return position(node.range[0], node.range[1]);
  };
  return Object.assign(locate, { document: chosen ? index : -1 });
}

function pointerPath(pointer: string): (string | number)[] {
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => {
      const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
      return /^\d{1,9}$/.test(key) ? Number(key) : key;
    });
}

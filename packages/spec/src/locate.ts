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
  const { LineCounter, parseAllDocuments } = yamlCst();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(documents)) return undefined;
  const document = documents[documentIndex];
  if (!document) return undefined;
  const path =
    pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((segment) => {
            const key = segment.replaceAll('~1', '/').replaceAll('~0', '~');
            return /^\d{1,9}$/.test(key) ? Number(key) : key;
          });
  const node = (path.length === 0 ? document.contents : document.getIn(path, true)) as
    { range?: readonly [number, number, number] } | null | undefined;
  if (!node?.range) return undefined;
  const start = lineCounter.linePos(node.range[0]);
  const end = lineCounter.linePos(node.range[1]);
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

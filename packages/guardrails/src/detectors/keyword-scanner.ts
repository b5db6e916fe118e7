/** Payloads found by `KeywordScanner.find`: a bit set in 32-bit words. */
export type KeywordHits = readonly number[];

/** True when `payload` is in the hit set. */
export function hasPayload(hits: KeywordHits, payload: number): boolean {
  return (((hits[payload >>> 5] ?? 0) >>> (payload & 31)) & 1) === 1;
}

/**
 * Which of a fixed set of keywords occur in a text, found in one left-to-right pass.
 *
 * An Aho-Corasick automaton over the keywords, compiled to a dense transition table whose columns are
 * only the characters that appear in some keyword (every other character sends the automaton back to
 * its start). Each character of the text costs one table read whatever the number of keywords, so a
 * scan is linear in the text and, unlike a large alternation regex, does not retry every keyword at
 * every position. Matching is exact on UTF-16 code units: give it lower-case keywords and lower-case text.
 */
export class KeywordScanner {
  /** Payload ids are below this (largest id + 1). */
  readonly payloadCount: number;
  /** 32-bit words in a hit set. */
  private readonly words: number;
  /** Column of each ASCII code unit (0: in no keyword). */
  private readonly ascii = new Int32Array(128);
  /** Column of each other code unit found in a keyword. */
  private readonly wide = new Map<number, number>();
  private readonly columns: number;
  /**
   * `delta[row + column]` is the row (state × columns) of the next state, bit-inverted (`~row`, so
   * negative) when that state ends at least one keyword.
   */
  private readonly delta: Int32Array;
  /** By state: the payload ids of every keyword ending there (its own and, via failure links, its suffixes'). */
  private readonly reports: readonly (readonly number[])[];
  /** Payload ids of empty keywords: present in every text. */
  private readonly always: readonly number[];

  constructor(entries: readonly (readonly [keyword: string, payload: number])[]) {
    let payloadCount = 0;
    const always: number[] = [];
    for (const [keyword, payload] of entries) {
      if (!Number.isInteger(payload) || payload < 0) throw new RangeError(`payload ids must be non-negative integers, got ${payload}`);
      payloadCount = Math.max(payloadCount, payload + 1);
      if (keyword.length === 0 && !always.includes(payload)) always.push(payload);
    }
    this.payloadCount = payloadCount;
    this.words = Math.max(1, Math.ceil(payloadCount / 32));
    this.always = always;

    let columns = 1;
    const column = (code: number): number => (code < 128 ? (this.ascii[code] ?? 0) : (this.wide.get(code) ?? 0));
    for (const [keyword] of entries) {
      for (let i = 0; i < keyword.length; i++) {
        const code = keyword.charCodeAt(i);
        if (column(code) !== 0) continue;
        if (code < 128) this.ascii[code] = columns++;
        else this.wide.set(code, columns++);
      }
    }
    this.columns = columns;

    // The trie: children by column, and the payloads of keywords ending at each node.
    const children: Map<number, number>[] = [new Map<number, number>()];
    const own: Set<number>[] = [new Set()];
    for (const [keyword, payload] of entries) {
      if (keyword.length === 0) continue;
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const c = column(keyword.charCodeAt(i));
        const node = children[state] ?? new Map<number, number>();
        let next = node.get(c);
        if (next === undefined) {
          next = children.length;
          children.push(new Map<number, number>());
          own.push(new Set());
          node.set(c, next);
        }
        state = next;
      }
      own[state]?.add(payload);
    }

    // Breadth-first: failure links, reports closed over them, and the dense transition table.
    const states = children.length;
    const next = new Int32Array(states * columns);
    const fail = new Int32Array(states);
    const reports: number[][] = Array.from({ length: states }, () => []);
    const queue: number[] = [];
    for (const [c, child] of children[0] ?? []) {
      next[c] = child;
      queue.push(child);
    }
    // The array iterator also visits states pushed during the loop: a breadth-first walk.
    for (const state of queue) {
      const link = fail[state] ?? 0;
      reports[state] = [...new Set([...(own[state] ?? []), ...(reports[link] ?? [])])];
      for (let c = 0; c < columns; c++) next[state * columns + c] = next[link * columns + c] ?? 0;
      for (const [c, child] of children[state] ?? []) {
        fail[child] = next[link * columns + c] ?? 0;
        next[state * columns + c] = child;
        queue.push(child);
      }
    }
    this.reports = reports;
    this.delta = new Int32Array(states * columns);
    next.forEach((target, i) => {
      const row = target * columns;
      this.delta[i] = (reports[target]?.length ?? 0) > 0 ? ~row : row;
    });
  }

  /**
   * The payloads whose keyword occurs in `text`, as a bit set (test with `hasPayload`), or undefined
   * when no keyword occurs. Allocates only when something is found, and then a few numbers.
   */
  find(text: string): KeywordHits | undefined {
    const { ascii, wide, delta, reports, columns } = this;
    let seen: number[] | undefined;
    if (this.always.length > 0) {
      seen = new Array<number>(this.words).fill(0);
      for (const payload of this.always) seen[payload >>> 5] = (seen[payload >>> 5] ?? 0) | (1 << (payload & 31));
    }
    let row = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const code = text.charCodeAt(i);
      let target = delta[row + (code < 128 ? (ascii[code] ?? 0) : (wide.get(code) ?? 0))] ?? 0;
      if (target < 0) {
        target = ~target;
        seen ??= new Array<number>(this.words).fill(0);
        for (const payload of reports[target / columns] ?? []) seen[payload >>> 5] = (seen[payload >>> 5] ?? 0) | (1 << (payload & 31));
      }
      row = target;
    }
    return seen;
  }
}

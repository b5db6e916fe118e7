// Early exits (`spec.cost.earlyExit`): a run whose tool turns bring nothing new ends before its budgets do.
import { canonicalKey } from '../canonical.js';
import type { RunState } from '../state.js';

/**
 * How many tool turns in a row, counted back from the last, returned only results the run had seen
 * before (the same tool, the same output): turns that added no information.
 */
export function staleTurns(state: RunState): number {
  const seen = new Set<string>();
  let stale = 0;
  for (const message of state.messages) {
    if (message.role !== 'tool') continue;
    let novel = false;
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      const key = `${part.toolName}\n${canonicalKey(part.output)}`;
      if (!seen.has(key)) {
        novel = true;
        seen.add(key);
      }
    }
    stale = novel ? 0 : stale + 1;
  }
  return stale;
}

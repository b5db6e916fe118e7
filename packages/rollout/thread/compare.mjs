// The layered comparison of a shadow run with the control's, in plain JavaScript so that one and the
// same code runs on the control's thread (src/shadow.ts imports it) and in the shadow's worker thread
// (thread/shadow-thread.mjs, which Node loads with its own loader: no build step, no TypeScript
// transform). No imports: the worker must not need any other package built. Types: compare.d.mts.

const MAX_TEXT = 100_000;
const MAX_DEPTH = 64;

/** Case, Unicode compatibility forms, whitespace runs and common punctuation do not count as a difference. */
export function normaliseText(text) {
  return text
    .slice(0, MAX_TEXT)
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[.,;:!?"'`()[\]{}]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// A value written with object keys sorted, so equal arguments give equal keys whatever their order.
// Values survive the thread boundary (structured clone) as the same key: a class instance arrives as a
// plain object and is written by its own enumerable properties on both sides; Date, Map, Set, bigint
// and non-finite numbers (which structured clone keeps) get a tagged form instead of JSON's lossy one.
function canonical(value, depth) {
  if (depth > MAX_DEPTH) return '"…"';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : `#${String(value)}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${String(value)}n`;
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item) => canonical(item, depth + 1)).join(',')}]`;
      if (value instanceof Date) return `#date(${String(value.getTime())})`;
      if (value instanceof Map)
        return `#map(${[...value]
          .map(([key, item]) => `${canonical(key, depth + 1)}:${canonical(item, depth + 1)}`)
          .sort()
          .join(',')})`;
      if (value instanceof Set)
        return `#set(${[...value]
          .map((item) => canonical(item, depth + 1))
          .sort()
          .join(',')})`;
      const keys = Object.keys(value)
        .filter((key) => value[key] !== undefined)
        .sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key], depth + 1)}`).join(',')}}`;
    }
    default:
      return `#${typeof value}`;
  }
}

/** One action's identity: the tool's name and its arguments written canonically. */
export function actionKey(action) {
  return `${action.tool} ${canonical(action.args ?? null, 0)}`;
}

/** The set of actions (tool + canonical arguments); order and repeats do not matter. */
export function actionSet(comparable) {
  return new Set((comparable.actions ?? []).map(actionKey));
}

/** Why a value cannot be compared (a malformed result), or undefined when it is a Comparable. */
export function comparableProblem(value) {
  if (typeof value !== 'object' || value === null) return `a comparable must be an object, not ${value === null ? 'null' : typeof value}`;
  if (value.text !== undefined && typeof value.text !== 'string') return `its text must be a string, not ${typeof value.text}`;
  if (value.actions !== undefined) {
    if (!Array.isArray(value.actions)) return 'its actions must be an array';
    for (const [index, action] of value.actions.entries())
      if (typeof action !== 'object' || action === null || typeof action.tool !== 'string')
        return `its action ${String(index)} must be an object with a string "tool"`;
  }
  return undefined;
}

/** What a result is compared on when no comparable function is given: the result itself when it has `text`/`actions`, else its text. */
export function defaultComparable(result) {
  if (typeof result === 'object' && result !== null && ('text' in result || 'actions' in result)) return result;
  return { text: typeof result === 'string' ? result : JSON.stringify(result) };
}

/**
 * The control's side of a sample as the shadow runner hands it over: its comparable, or — a string
 * result with no comparable function given — the string itself, made comparable here, where it is
 * compared (`{ text }`, as `defaultComparable` makes it), so the control's thread neither allocates the
 * wrapper nor packs it. A comparable is never a string, so the two cannot be confused.
 */
export function comparableOf(handed) {
  return typeof handed === 'string' ? { text: handed } : handed;
}

function sameSet(a, b) {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/**
 * The layers that need no judge, first decisive one wins: `exact`, `normalised-text`, `actions`; when
 * only the texts differ, `unresolved` (a judge, where there is one, decides instead).
 */
export function compareLayers(control, candidate) {
  const controlActions = actionSet(control);
  const candidateActions = actionSet(candidate);
  const sameActions = sameSet(controlActions, candidateActions);
  if (control.text === candidate.text && sameActions) return { agree: true, layer: 'exact' };
  if (sameActions && normaliseText(control.text ?? '') === normaliseText(candidate.text ?? ''))
    return { agree: true, layer: 'normalised-text' };
  if (!sameActions) {
    let missing = 0;
    let extra = 0;
    for (const key of controlActions) if (!candidateActions.has(key)) missing++;
    for (const key of candidateActions) if (!controlActions.has(key)) extra++;
    return { agree: false, layer: 'actions', detail: `${String(missing)} action(s) of the control missing, ${String(extra)} extra` };
  }
  return { agree: false, layer: 'unresolved', detail: 'texts differ and no judge is configured' };
}

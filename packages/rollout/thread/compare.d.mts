// Types of compare.mjs (plain JavaScript shared by the control's thread and the shadow's worker thread).

/** What two runs are compared on: the answer text and the actions taken (tool and arguments). */
export interface Comparable {
  readonly text?: string | undefined;
  readonly actions?: readonly { readonly tool: string; readonly args?: unknown }[];
}

/** Which layer decided a comparison. */
export type ComparisonLayer = 'exact' | 'normalised-text' | 'actions' | 'judge' | 'unresolved' | 'error';

export interface Comparison {
  readonly agree: boolean;
  readonly layer: ComparisonLayer;
  readonly detail?: string;
}

export function normaliseText(text: string): string;
export function actionKey(action: { readonly tool: string; readonly args?: unknown }): string;
export function actionSet(comparable: Comparable): ReadonlySet<string>;
export function comparableProblem(value: unknown): string | undefined;
export function defaultComparable(result: unknown): Comparable;
export function compareLayers(control: Comparable, candidate: Comparable): Comparison;

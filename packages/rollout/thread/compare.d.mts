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
/** The control's side of a sample as handed over: its comparable, or a string result to be made `{ text }` where it is compared. */
export type Handed = Comparable | string;
export function comparableOf(handed: Handed): Comparable;
export function compareLayers(control: Comparable, candidate: Comparable): Comparison;

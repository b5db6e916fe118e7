// Types of priority.mjs (plain JavaScript: lowering a shadow thread's CPU priority, for the worker script and the relay thread).

/** What the kernel applied to the thread (as `WorkerPriority` in src/shadow-worker.ts). */
export interface AppliedPriority {
  readonly wanted: 'idle' | 'nice' | false;
  readonly priority: 'idle' | 'nice' | 'normal';
  readonly tid?: number;
  readonly detail?: string;
}

/** Lowers this thread's priority (`allTasks`: every thread of this process) as `wanted` says, and reads back what the kernel applied. */
export function lowerPriority(wanted: 'idle' | 'nice' | false, allTasks: boolean): Promise<AppliedPriority>;

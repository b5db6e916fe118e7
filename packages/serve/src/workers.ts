// Workers: N loops in this process, each claiming one job at a time from the durable queue and running
// it. One lease holder id per pool; its leases are renewed every third of the lease while it lives. A
// pool that dies (SIGKILL, lost host) stops renewing, and another pool takes its jobs over once their
// leases expire. `drain` (SIGTERM) stops claiming and waits for the runs in flight; what cannot finish
// in time is aborted and handed back to the queue, to be re-run under the same run id (the idempotency
// ledger replays its completed side effects instead of repeating them).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job, JobQueue } from './queue.js';

export interface Execution {
  readonly status: 'done' | 'failed';
  readonly result: unknown;
  /** Usage this execution added (charged to the tenant). */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number };
}

export type Execute = (job: Job, signal: AbortSignal) => Promise<Execution>;

export interface WorkerPoolOptions {
  readonly queue: JobQueue;
  readonly execute: Execute;
  /** Loops in this process (default 2). */
  readonly workers?: number;
  /** Idle wait between empty claims (default 25 ms); `wake()` cuts it short. */
  readonly idleMs?: number;
  /** Called after a job was finished (or found lost), e.g. to notify waiting requests. */
  readonly onFinished?: (job: Job, execution: Execution, kept: boolean) => void;
  readonly onError?: (error: unknown) => void;
}

export class WorkerPool {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #options: WorkerPoolOptions;
  readonly #inFlight = new Map<string, { readonly job: Job; readonly abort: AbortController; readonly done: Promise<void> }>();
  readonly #wakers = new Set<() => void>();
  #running = false;
  #dead = false;
  #loops: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastTakeover = 0;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  /** Whether a worker of this pool runs the job now. */
  holds(jobId: string): boolean {
    return this.#inFlight.has(jobId);
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { queue } = this.#options;
    this.#timer = setInterval(
      () => {
        if (this.#dead) return;
        void queue.renew(this.holder, [...this.#inFlight.keys()]).catch((error: unknown) => this.#options.onError?.(error));
      },
      Math.max(10, Math.floor(queue.leaseMs / 3)),
    );
    this.#timer.unref();
    const workers = this.#options.workers ?? 2;
    this.#loops = Array.from({ length: workers }, () => this.#loop());
  }

  /** Wakes every idle loop (drain, kill). */
  wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** Wakes one idle loop (a job was just queued in this process): one job needs one claimer, not all of them. */
  wakeOne(): void {
    const [wake] = this.#wakers;
    wake?.();
  }

  /**
   * Graceful shutdown: claims nothing more, waits up to `timeoutMs` for the runs in flight, then aborts
   * the rest and hands their jobs back to the queue.
   */
  async drain(timeoutMs = 10_000): Promise<{ readonly finished: number; readonly requeued: number }> {
    this.#running = false;
    this.wake();
    const before = this.#inFlight.size;
    const all = Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    const left = [...this.#inFlight.values()];
    for (const entry of left) entry.abort.abort(new Error('the service is shutting down'));
    await Promise.all(left.map((entry) => this.#options.queue.release(entry.job, this.holder).catch(() => undefined)));
    await Promise.all(this.#loops);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    return { finished: before - left.length, requeued: left.length };
  }

  /**
   * Test and load-test hook: the pool dies as a SIGKILL would kill it — no lease renewal, no finish, no
   * hand-back. Its runs keep going in the background but whatever they finish is refused (fenced).
   */
  kill(): void {
    this.#dead = true;
    this.#running = false;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.wake();
  }

  async #loop(): Promise<void> {
    const { queue, execute } = this.#options;
    // The next job, claimed by the statement that finished the previous one.
    let next: Job | undefined;
    // The finish found nothing to claim: wait before the next claim (it would find nothing either).
    let empty = false;
    while (this.#running) {
      if (empty) {
        empty = false;
        await this.#idle();
        if (!this.#isRunning()) break;
      }
      let job: Job | undefined = next;
      next = undefined;
      if (job === undefined)
        try {
          job = await queue.claim(this.holder, this.#takeoverDue());
        } catch (error) {
          this.#options.onError?.(error);
        }
      if (!this.#isRunning() && job !== undefined) {
        await queue.release(job, this.holder).catch(() => undefined);
        break;
      }
      if (job === undefined) {
        await this.#idle();
        continue;
      }
      const abort = new AbortController();
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      this.#inFlight.set(job.id, { job, abort, done });
      try {
        let execution: Execution;
        try {
          execution = await execute(job, abort.signal);
        } catch (error) {
          execution = {
            status: 'failed',
            result: { status: 'failed', reason: 'worker_error', error: error instanceof Error ? error.message : String(error) },
            usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
          };
        }
        if (abort.signal.aborted || this.#dead) continue; // handed back (drain) or dead (kill): not ours to finish
        let kept: boolean;
        if (this.#isRunning()) {
          ({ kept, next } = await queue.finishAndClaim(job, this.holder, execution, execution.usage, this.#takeoverDue()));
          empty = next === undefined;
        } else kept = await queue.finish(job, this.holder, execution, execution.usage);
        this.#options.onFinished?.(job, execution, kept);
      } catch (error) {
        this.#options.onError?.(error);
      } finally {
        this.#inFlight.delete(job.id);
        finish();
      }
    }
    // Claimed while finishing, but the pool stopped meanwhile: back to the queue (a dead pool hands nothing back).
    if (next !== undefined && !this.#dead) await queue.release(next, this.holder).catch(() => undefined);
  }

  /** Whether this claim should first look for a job whose lease expired (at most every quarter lease, at most every second). */
  #takeoverDue(): boolean {
    const now = Date.now();
    if (now - this.#lastTakeover <= Math.min(1000, this.#options.queue.leaseMs / 4)) return false;
    this.#lastTakeover = now;
    return true;
  }

  /** A method, not the field: the loop awaits, and `drain` may flip the field meanwhile. */
  #isRunning(): boolean {
    return this.#running;
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.#options.idleMs ?? 25);
      this.#wakers.add(wake);
    });
  }
}

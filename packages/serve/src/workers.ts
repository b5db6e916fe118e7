// Workers: N loops in this process, each claiming one job at a time from the durable queue and running
// it. One lease holder id per pool; its leases are renewed every third of the lease while it lives. A
// pool that dies (SIGKILL, lost host) stops renewing, and another pool takes its jobs over once their
// leases expire. `drain` (SIGTERM) stops claiming and waits for the runs in flight; what cannot finish
// in time is aborted and handed back to the queue, to be re-run under the same run id (the idempotency
// ledger replays its completed side effects instead of repeating them).
//
// An idle pool is cheap: one idle loop polls the queue (after `idleMs`, doubling while nothing is found, up
// to `idleMaxMs`), the other idle loops sleep until woken — by a job queued in this process (`wakeOne`), or
// by the poller when its poll found a job (there may be more: the woken loop claims at once and, if it finds
// one too, wakes the next). Any claim or wake resets the poll to `idleMs`.
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
  /** The polling loop's first wait after an empty claim (default 25 ms); `wake()`/`wakeOne()` cut it short. */
  readonly idleMs?: number;
  /**
   * The polling loop's longest wait: the wait doubles from `idleMs` while polls find nothing (default a
   * quarter of the lease, at most 250 ms). It bounds how late an idle pool sees a job queued by another
   * instance, or an expired lease to take over.
   */
  readonly idleMaxMs?: number;
  /** Called after a job was finished (or found lost), e.g. to notify waiting requests. */
  readonly onFinished?: (job: Job, execution: Execution, kept: boolean) => void;
  readonly onError?: (error: unknown) => void;
}

export class WorkerPool {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #options: WorkerPoolOptions;
  readonly #inFlight = new Map<string, { readonly job: Job; readonly abort: AbortController; readonly done: Promise<void> }>();
  /** Idle loops by index, in the order they went idle; each resolves with whether it should pass a found job on (see `#loop`). */
  readonly #wakers = new Map<number, (chain: boolean) => void>();
  readonly #idleMs: number;
  readonly #idleMaxMs: number;
  /** The loop that polls while the pool is idle (the others sleep); undefined: the next loop to go idle polls. */
  #poller: number | undefined;
  /** The poller's next wait. */
  #pollMs: number;
  #running = false;
  #dead = false;
  #loops: Promise<void>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastTakeover = 0;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#idleMs = Math.max(1, options.idleMs ?? 25);
    this.#idleMaxMs = Math.max(this.#idleMs, options.idleMaxMs ?? Math.min(250, Math.floor(options.queue.leaseMs / 4)));
    this.#pollMs = this.#idleMs;
  }

  /** Test hook: the loop that polls while the pool is idle, and its next wait. */
  get polling(): { readonly loop: number | undefined; readonly waitMs: number } {
    return { loop: this.#poller, waitMs: this.#pollMs };
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
    this.#loops = Array.from({ length: workers }, (_, index) => this.#loop(index));
  }

  /** Wakes every idle loop (drain, kill). */
  wake(): void {
    this.#pollMs = this.#idleMs;
    for (const wake of [...this.#wakers.values()]) wake(false);
  }

  /**
   * Wakes one idle loop (a job was just queued in this process): one job needs one claimer, not all of
   * them. A sleeping loop rather than the poller, which keeps polling for other instances' jobs.
   */
  wakeOne(): void {
    this.#pollMs = this.#idleMs;
    this.#wakeOne(false);
  }

  #wakeOne(chain: boolean): void {
    let wake: ((chain: boolean) => void) | undefined;
    for (const [index, candidate] of this.#wakers) {
      wake ??= candidate;
      if (index !== this.#poller) {
        wake = candidate;
        break;
      }
    }
    wake?.(chain);
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

  async #loop(index: number): Promise<void> {
    const { queue, execute } = this.#options;
    // The next job, claimed by the statement that finished the previous one.
    let next: Job | undefined;
    // The finish found nothing to claim: wait before the next claim (it would find nothing either).
    let empty = false;
    while (this.#running) {
      if (empty) {
        empty = false;
        await this.#idle(index);
        if (!this.#isRunning()) break;
      }
      let job: Job | undefined = next;
      next = undefined;
      if (job === undefined) {
        try {
          job = await queue.claim(this.holder, this.#takeoverDue());
        } catch (error) {
          this.#options.onError?.(error);
        }
        if (job !== undefined) {
          this.#pollMs = this.#idleMs;
          // This claim found a job where there may be more (a poll, or a loop woken by one): the poll
          // role passes to a sleeping loop, which claims at once and goes on polling if it finds nothing.
          // A loop woken by a job queued here, while another polls, wakes nobody.
          if (this.#poller === undefined || this.#poller === index) {
            this.#poller = undefined;
            this.#wakeOne(true);
          }
        }
      }
      if (!this.#isRunning() && job !== undefined) {
        await queue.release(job, this.holder).catch(() => undefined);
        break;
      }
      if (job === undefined) {
        await this.#idle(index);
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
          if (!empty) this.#pollMs = this.#idleMs;
        } else kept = await queue.finish(job, this.holder, execution, execution.usage);
        this.#options.onFinished?.(job, execution, kept);
      } catch (error) {
        this.#options.onError?.(error);
      } finally {
        this.#inFlight.delete(job.id);
        finish();
      }
    }
    if (this.#poller === index) this.#poller = undefined;
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

  /**
   * Waits until this loop should claim again. The first loop to go idle polls: it waits `#pollMs`, which
   * doubles up to `idleMaxMs` each time the wait runs out (the claim after it is likely to find nothing
   * again); the others sleep until woken.
   */
  #idle(index: number): Promise<void> {
    this.#poller ??= index;
    const polls = this.#poller === index;
    return new Promise((resolve) => {
      const wake = (chain: boolean): void => {
        clearTimeout(timer);
        this.#wakers.delete(index);
        // Woken to take the poll role over: this loop's claim counts as a poll.
        if (chain && this.#poller === undefined) this.#poller = index;
        resolve();
      };
      const timer = polls
        ? setTimeout(() => {
            this.#pollMs = Math.min(this.#pollMs * 2, this.#idleMaxMs);
            wake(false);
          }, this.#pollMs)
        : undefined;
      this.#wakers.set(index, wake);
    });
  }
}

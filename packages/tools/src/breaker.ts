import type { BreakerOptions } from './define.js';

/** `closed`: calls flow; `open`: calls fail fast; `half-open`: one probe decides. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A permit from `acquire`: 0 refused, 1 normal call, 2 the half-open probe. */
export type BreakerPermit = 0 | 1 | 2;

/**
 * Count-based sliding-window circuit breaker. O(1) per call: a ring buffer of the last
 * `windowSize` outcomes and a running failure count.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  readonly #options: BreakerOptions;
  readonly #now: () => number;
  readonly #onChange: (from: BreakerState, to: BreakerState) => void;
  readonly #ring: Uint8Array;
  #next = 0;
  #count = 0;
  #failures = 0;
  #openedAt = 0;
  #probing = false;

  constructor(options: BreakerOptions, now: () => number, onChange: (from: BreakerState, to: BreakerState) => void) {
    this.#options = options;
    this.#now = now;
    this.#onChange = onChange;
    this.#ring = new Uint8Array(options.windowSize);
  }

  acquire(): BreakerPermit {
    if (this.state === 'closed') return 1;
    if (this.state === 'open') {
      if (this.#now() - this.#openedAt < this.#options.openMs) return 0;
      this.#transition('half-open');
    }
    if (this.#probing) return 0;
    this.#probing = true;
    return 2;
  }

  /** Records the outcome of a permitted attempt. `failed` means the tool looked unhealthy. */
  record(permit: BreakerPermit, failed: boolean): void {
    if (permit === 2) {
      this.#probing = false;
      if (failed) this.#open();
      else {
        this.#reset();
        this.#transition('closed');
      }
      return;
    }
    if (permit !== 1 || this.state !== 'closed') return;
    const ring = this.#ring;
    if (this.#count === ring.length) this.#failures -= ring[this.#next] ?? 0;
    else this.#count += 1;
    const bit = failed ? 1 : 0;
    ring[this.#next] = bit;
    this.#failures += bit;
    this.#next = this.#next + 1 === ring.length ? 0 : this.#next + 1;
    if (failed && this.#count >= this.#options.minimumCalls && this.#failures / this.#count >= this.#options.failureRateThreshold)
      this.#open();
  }

  /** Releases a permit whose attempt never reached the tool (e.g. the call was aborted first). */
  release(permit: BreakerPermit): void {
    if (permit === 2) this.#probing = false;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when not open). */
  retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, this.#options.openMs - (this.#now() - this.#openedAt));
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#reset();
    this.#transition('open');
  }

  #reset(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.#count = 0;
    this.#failures = 0;
  }

  #transition(to: BreakerState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.#onChange(from, to);
  }
}

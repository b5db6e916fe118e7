// Run events for server-sent events: the agent's telemetry events of each run, kept briefly in this
// process so a subscriber that connects after the run started still gets its history.
import type { Sink, TelemetryEvent } from '@charter/telemetry';

export type RunEventListener = (event: { readonly type: string; readonly data: unknown }) => void;

interface Entry {
  readonly events: { readonly type: string; readonly data: unknown }[];
  readonly listeners: Set<RunEventListener>;
  touched: number;
}

export class RunEvents implements Sink {
  readonly #runs = new Map<string, Entry>();
  readonly #maxRuns: number;
  readonly #maxEvents: number;

  constructor(options: { readonly maxRuns?: number; readonly maxEventsPerRun?: number } = {}) {
    this.#maxRuns = options.maxRuns ?? 2000;
    this.#maxEvents = options.maxEventsPerRun ?? 500;
  }

  write(event: TelemetryEvent): void {
    this.publish(event.runId, event.type, event);
  }

  publish(runId: string, type: string, data: unknown): void {
    const entry = this.#entry(runId);
    const item = { type, data };
    if (entry.events.length < this.#maxEvents) entry.events.push(item);
    for (const listener of entry.listeners) listener(item);
  }

  /** The run's events so far, then every new one, until the returned function is called. */
  subscribe(runId: string, listener: RunEventListener): () => void {
    const entry = this.#entry(runId);
    for (const item of entry.events) listener(item);
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  #entry(runId: string): Entry {
    let entry = this.#runs.get(runId);
    if (entry === undefined) {
      if (this.#runs.size >= this.#maxRuns) {
        // Forget the oldest run nobody listens to.
        for (const [id, old] of this.#runs)
          if (old.listeners.size === 0) {
            this.#runs.delete(id);
            break;
          }
      }
      entry = { events: [], listeners: new Set(), touched: Date.now() };
      this.#runs.set(runId, entry);
    }
    entry.touched = Date.now();
    return entry;
  }
}

import type { EventOf, EventType, TelemetryEvent } from '../events.js';
import type { Sink } from '../telemetry.js';

/** Keeps events in an array: for tests and for in-process inspection. */
export interface MemorySink extends Sink {
  readonly events: readonly TelemetryEvent[];
  ofType<T extends EventType>(type: T): EventOf<T>[];
  clear(): void;
}

export function createMemorySink(): MemorySink {
  const events: TelemetryEvent[] = [];
  return {
    events,
    write(event) {
      events.push(event);
    },
    ofType<T extends EventType>(type: T) {
      return events.filter((event): event is EventOf<T> => event.type === type);
    },
    clear() {
      events.length = 0;
    },
  };
}

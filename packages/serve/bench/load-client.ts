// The load generator of `bench/load.ts`, in its own process (forked by it): autocannon runs here, so the
// service process's CPU is the service's alone. Commands arrive over IPC; each load answers with its
// latencies and status counts, and `cpu` answers with this process's CPU time so far.
// Every request refunds a unique order (A-1, A-2, … across every load of this process).
import autocannon from 'autocannon';

export interface LoadCommand {
  readonly type: 'load';
  readonly id: number;
  readonly url: string;
  readonly key: string;
  readonly connections: number;
  readonly overallRate?: number;
  readonly duration: number;
  /**
   * Spread the rate over the second: `spread` generators of one connection each, at `overallRate / spread`
   * requests a second, started 1000 / spread ms apart. One autocannon instance sends each second's budget
   * at the start of that second (every client's budget refills on its own 1 s interval, all started
   * together), so without this every tenant's requests of a second arrive in the same few milliseconds.
   */
  readonly spread?: number;
}
export type ClientCommand = LoadCommand | { readonly type: 'cpu' } | { readonly type: 'exit' };
export type ClientReply =
  | {
      readonly type: 'done';
      readonly id: number;
      readonly latencies: number[];
      readonly statuses: [number, number][];
      /** Every response as [epoch ms when it arrived, latency ms, status] (the `--timeline` of load.ts). */
      readonly responses: [number, number, number][];
    }
  | { readonly type: 'cpu'; readonly userUs: number; readonly systemUs: number }
  | { readonly type: 'error'; readonly message: string };

const reply = (message: ClientReply): void => {
  process.send?.(message);
};

let order = 0;

function load(command: LoadCommand): void {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const responses: [number, number, number][] = [];
  const spread = command.spread ?? 1;
  const rate = command.overallRate === undefined ? undefined : command.overallRate / spread;
  if (spread < 1 || !Number.isInteger(spread) || (rate !== undefined && !Number.isInteger(rate))) {
    reply({ type: 'error', message: `spread ${spread} must be a positive integer dividing the rate ${command.overallRate}` });
    return;
  }
  let pending = spread;
  let failed = false;
  const start = (): void => {
    const instance = autocannon(
      {
        url: command.url,
        method: 'POST',
        connections: spread === 1 ? command.connections : 1,
        duration: command.duration,
        ...(rate === undefined ? {} : { overallRate: rate }),
        timeout: 60,
        headers: { authorization: `Bearer ${command.key}`, 'content-type': 'application/json' },
        requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ input: `refund A-${++order} 40` }) }) }],
      },
      (error) => {
        if (failed) return;
        if (error !== null && error !== undefined) {
          failed = true;
          reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
          return;
        }
        if (--pending === 0) reply({ type: 'done', id: command.id, latencies, statuses: [...statuses], responses });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      responses.push([Date.now(), responseTime, statusCode]);
      if (statusCode < 300) latencies.push(responseTime);
    });
  };
  for (let i = 0; i < spread; i++) setTimeout(start, (i * 1000) / spread);
}

process.on('message', (command: ClientCommand) => {
  if (command.type === 'load') load(command);
  else if (command.type === 'cpu') {
    const usage = process.cpuUsage();
    reply({ type: 'cpu', userUs: usage.user, systemUs: usage.system });
  } else process.disconnect();
});

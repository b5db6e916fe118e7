// The shadow candidate in a worker: a child Node process (`isolation: 'process'`, the shadow runner's
// default) or a worker thread (`'thread'`). Its CPU work runs off the control's thread, so the control
// (the user's response and the next requests) never shares a thread with it; in a process it does not
// share V8's background threads (garbage collection, compilation), the memory map or the priority of the
// control's process either. The candidate is named by a module and options that cross the boundary
// (structured clone), not by a closure: the worker (thread/shadow-thread.mjs) imports the module, calls
// its factory export with the options once, and runs each input through what the factory returned.
//
// The shadow runner uses a lane (`workerLane`): shadow samples (the input and the control's comparable, or
// its string result as it is: `Handed`) are written into a ring in shared memory — a batch every
// `handoffMs`, or (a thread, while requests come one at a time) each sample as its own record — and
// collected on the other side's own timer: a thread collects them itself; for a process, a relay thread
// (thread/relay.mjs) that started it collects them and sends them on over the process's IPC channel, so
// the serialisation of the channel's messages, the writes to its pipe and the spawn all happen off the
// control's thread (`handoff: 'message'` posts batches from the control's thread instead). The comparison
// runs in the worker, and it sends back only small reports, batched, so the control's thread does little
// more than pack each sample once.
// `workerCandidate` is the plain form: one input in, its result back.
//
// A call that outlives `timeoutMs` ends the worker (a hung or runaway candidate cannot pile up: the
// worker reports an async hang itself; a loop that blocks it is caught by a watchdog here); a crash or an
// exit of the worker fails what is in flight; the next sample starts a fresh worker. Every such failure
// is a `ROLLOUT_SHADOW_FAILED` candidate error — the control's result is never touched.
import { type ChildProcess, type Serializable, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serialize } from 'node:v8';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { Comparable, ComparisonLayer, Handed } from '../thread/compare.mjs';
import { pack, packedWords, packPairInto } from '../thread/pack.mjs';
import { RolloutError, RolloutErrorCode } from './errors.js';

/** Where the shadow candidate comes from when it runs in a worker thread. */
export interface ShadowWorkerOptions {
  /**
   * The candidate's module: an absolute path or a `file:` URL. Its export `export` (default: the
   * default export) is a factory `(options) => candidate` (the factory may be async), where the
   * candidate is a function `(input) => Promise<result>` or an object `{ run(input), comparable?(result),
   * observation?(result), judge?(control, candidate) }`: `comparable` turns a result into what is
   * compared (default: the result itself when it has `text`/`actions`, else its text), `observation`
   * into the cloneable value handed to `onOutcome`, `judge` decides when only the texts differ. Inputs
   * cross the thread boundary by structured clone; under the shadow runner results stay in the worker.
   */
  readonly module: string | URL;
  /** The factory's export name; default `default`. */
  readonly export?: string;
  /** Passed to the factory once per worker; must be structured-cloneable (no functions, no class instances with behaviour). */
  readonly options?: unknown;
  /** A call that takes longer is failed and the worker terminated; default 30,000 ms. */
  readonly timeoutMs?: number;
  /**
   * Where the candidate runs. `'process'`: a child Node process (the shadow runner's default), started
   * at its CPU priority (`lowPriority`) as a whole — V8's own threads (its garbage collector, its
   * compilers) included — with its own memory, so nothing it does reaches the control's process; with the
   * shared handoff a relay thread in this process starts it and forwards the ring's batches to it over
   * its IPC channel. `'thread'`: a worker thread in this
   * process (`workerCandidate`'s default): cheaper to start and on the shared ring, but its isolate's
   * garbage collection and compilation run on V8 threads the control's isolate shares, at normal priority,
   * and it shares this process's memory map — measurably slower for the control (`npm run bench -w
   * @charter/rollout`, README).
   */
  readonly isolation?: 'process' | 'thread';
  /**
   * V8 heap limits of the worker (`worker_threads` `resourceLimits`). A process takes only
   * `maxOldGenerationSizeMb` (as `--max-old-space-size`); any other limit is refused there.
   */
  readonly resourceLimits?: ResourceLimits;
  /** The worker sends its reports back at most this long after the first one is ready (a thread also at 256 reports); default 200 ms. */
  readonly reportIntervalMs?: number;
  /**
   * The worker's CPU priority, set once when it starts (Linux; elsewhere it stays the process's); a
   * process sets it for all its threads (V8's own included; those it makes later inherit it), and its
   * relay thread in this process for itself, before it spawns the process:
   * `'idle'`, the SCHED_IDLE policy (via util-linux `chrt`; by the kernel's policy any normal thread that
   * wakes preempts it at once, and a core running only it counts as idle — how promptly depends on the
   * kernel, README), falling back to nice 19 when chrt is missing or
   * fails; `'nice'`, nice 19; `false`, unchanged. What was applied is read back from the kernel and
   * reported (`WorkerPriority`, the relay's in its `relay`). Default `'idle'`.
   */
  readonly lowPriority?: 'idle' | 'nice' | false;
  /**
   * How the shadow runner hands batches to the worker (`workerLane`; `workerCandidate` always posts):
   * `'shared'` (the default), the batch is packed once into a ring in shared memory that the worker
   * thread — for a process, its relay thread — collects on its own timer (every `pollMs` while samples
   * flow; after `parkAfterMs` without any it parks, and only the first batch after that wakes it, one
   * `Atomics.notify`), so a handoff never wakes anything, and the control's thread never writes to a pipe;
   * a batch that does not fit in the free part of the ring is dropped and counted (`shed`), one larger
   * than the whole ring is posted instead. `'message'`: one message per batch from the control's thread
   * (a thread is woken by each; a process's costs the control's thread a serialisation and a write to
   * its pipe, 100-250 µs per batch on the bench's machine).
   */
  readonly handoff?: 'shared' | 'message';
  /** The shared ring's size in bytes (a power of two, 4 KiB to 1 GiB); default 1 MiB. */
  readonly ringBytes?: number;
  /** How often the worker collects from the ring while samples flow; default 20 ms (the runner passes its `handoffMs`). */
  readonly pollMs?: number;
  /** The worker parks (stops polling) after this long with an empty ring and nothing running; default 1,000 ms. */
  readonly parkAfterMs?: number;
}

/** The CPU priority the worker thread runs at, as read back from the kernel (`/proc/thread-self/stat`) after it was set. */
export interface WorkerPriority {
  /** What was asked for (`lowPriority`). */
  readonly wanted: 'idle' | 'nice' | false;
  /** What the kernel applied: the SCHED_IDLE policy, the normal policy at a nice above 0, or the process's priority. */
  readonly priority: 'idle' | 'nice' | 'normal';
  /** The worker's kernel thread id (Linux), e.g. for `chrt -p <tid>`. */
  readonly tid?: number;
  /** Why `priority` is not what was wanted (chrt missing or refused, not Linux), when it is not. */
  readonly detail?: string;
  /**
   * A worker process on the shared ring: its relay thread in this process (which spawns it and forwards
   * its samples), lowered the same way before it spawns the process — what the kernel applied to it.
   */
  readonly relay?: Omit<WorkerPriority, 'wanted' | 'relay'>;
}

/** A candidate running in its own worker thread, one input at a time (its result crosses back). */
export interface WorkerCandidate<I, R> {
  /** Runs one input in the worker; rejects with `ROLLOUT_SHADOW_FAILED` on a candidate error, crash or timeout. */
  run(input: I): Promise<R>;
  /** The worker's thread id (undefined for a process, before the first call and after a terminated worker). */
  readonly threadId: number | undefined;
  /** The worker process's id (undefined for a thread, before the first call and after an ended worker). */
  readonly pid: number | undefined;
  /** The worker thread's CPU priority as the kernel applied it (undefined until the worker has reported it). */
  readonly priority: WorkerPriority | undefined;
  /** Terminates the worker; calls in flight are failed. */
  close(): Promise<void>;
}

/** Shadow samples to a worker, verdicts back; the runner's off-path arm. */
export interface WorkerLane<I> {
  /**
   * Hands samples (inputs and the control's sides — comparables, or string results — index by index)
   * to the worker: written to the shared ring, or posted in one message; a sample that cannot be cloned
   * is reported as an error.
   * Returns how many samples were dropped because the ring was full (the caller counts them as shed).
   */
  submit(inputs: readonly I[], controls: readonly Handed[]): number;
  /**
   * Hands ONE sample over (`submit` of a batch of one, cheaper): with the shared handoff it is packed
   * straight into the ring as its own record, which the worker collects on its next poll — no batch to
   * build, no handoff spike; otherwise a posted batch of one. Returns 1 when dropped (a full ring).
   */
  submitOne(input: I, control: Handed): number;
  /**
   * Stages ONE sample with the shared handoff: packed at once into the ring as its own record, which the
   * worker does not see until `publish()` — so handing over a batch is one store, not a packing of the
   * whole batch at once. 0: staged; 1: dropped (a full ring); -1: not staged (not plain data, larger than
   * the ring, or the message handoff) — the caller batches it (`submit`).
   */
  stageOne(input: I, control: Handed): -1 | 0 | 1;
  /** Makes every staged sample visible to the worker (one store of the ring's head; wakes it if it parked). */
  publish(): void;
  /** Samples staged and not published yet (none after the worker ended: they failed with it). */
  staged(): number;
  /** Whether the runner should hand each sample over at once with `submitOne` while requests come one at a time (a thread on the shared ring); otherwise in batches. */
  readonly direct: boolean;
  /** How handoffs went so far: batches written to the ring, posted as messages, dropped (ring full), and wakes of a parked worker. */
  handoffs(): HandoffStats;
  /** Samples posted and not reported yet. */
  outstanding(): number;
  /** Samples posted and not finished in the worker yet (read from shared memory: no report needed). */
  lagging(): number;
  /** The worker thread's CPU priority as the kernel applied it (undefined until a worker has reported it). */
  priority(): WorkerPriority | undefined;
  /** Resolves when every sample posted so far has been reported (or failed). */
  drain(): Promise<void>;
  /** Terminates the worker; samples in flight are reported as errors. */
  close(): Promise<void>;
}

/** How the lane's handoffs went (counters since the lane was made). */
export interface HandoffStats {
  /** Where the candidate runs: a child process or a worker thread (`isolation`). */
  readonly isolation: 'process' | 'thread';
  readonly mode: 'shared' | 'message';
  /** Batches written to the shared ring. */
  readonly ringBatches: number;
  /** Samples written to the shared ring one at a time, each its own record (`submitOne`: the shadow runner's handoff, one per answered request); not counted in `ringBatches`. */
  readonly ringSamples: number;
  /** Samples staged in the shared ring, each its own record, and published in groups (`stageOne`, `publish`); not counted in `ringSamples`. */
  readonly stagedSamples: number;
  /** Times staged samples were published (one store of the ring's head each). */
  readonly publishes: number;
  /** Of those, batches that were not plain data (Date, Map, bigint, …) and went through v8.serialize. */
  readonly serialisedBatches: number;
  /** Batches posted as messages (the message mode, a batch larger than the ring, drains). */
  readonly postedBatches: number;
  /** Samples dropped because the ring had no room for their batch. */
  readonly droppedSamples: number;
  /** Times a parked worker was woken (Atomics.notify) by a write. */
  readonly wakes: number;
}

// The shared ring (single producer: the control's thread; single consumer: the worker thread, or the
// relay thread of a worker process). `header` holds
// three Int32: 0 bytes written, 1 bytes read (both wrap at 2^32, their difference does not), 2 the
// worker's state (0 polling, 1 parked). `data` holds records: a 4-byte word (Int32, 4-aligned: the
// payload's length in the low 30 bits, its encoding in bits 30-31: 0 a batch `{ inputs, controls }`
// packed by `pack` (thread/pack.mjs), 1 such a batch by v8.serialize, 2 one sample `[input, control]`
// packed by `pack`), then the payload, padded to 4 bytes; a record may wrap around the end of `data`.
const RING_HEAD = 0;
const RING_TAIL = 1;
const RING_STATE = 2;
const RING_PARKED = 1;

/** How a ring record's payload is encoded: a packed batch, a v8.serialize'd batch, or one packed sample `[input, control]`. */
export type RingEncoding = 'pack' | 'v8' | 'one';

/** A ring's two shared buffers, as they cross to the worker. */
export interface RingBuffers {
  readonly header: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/** The writing end of the shared ring (the control's thread). Exported for tests. */
export class RingWriter {
  readonly buffers: RingBuffers;
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  wakes = 0;

  constructor(readonly capacity: number) {
    this.buffers = { header: new SharedArrayBuffer(12), data: new SharedArrayBuffer(capacity) };
    this.header = new Int32Array(this.buffers.header);
    this.bytes = new Uint8Array(this.buffers.data);
    this.words = new Int32Array(this.buffers.data);
    this.mask = capacity - 1;
  }

  /** Bytes a record of `length` payload bytes takes. */
  static recordBytes(length: number): number {
    return 4 + ((length + 3) & ~3);
  }

  /** Where the next record goes: the head plus what was staged and not published yet (wraps at 2^32, as the head). */
  private staged = 0;
  /** The head as last published. */
  private published = 0;
  /** The tail as last read: it only moves on, so a stale value understates the free space, never overstates it. */
  private knownTail = 0;

  /**
   * Writes one record of the first `length` bytes of `payload` (default: all of it) and publishes it,
   * with any staged before it; `'full'` when the free part of the ring cannot hold it (nothing written),
   * `'too-large'` when the whole ring cannot.
   */
  write(payload: Uint8Array, encoding: RingEncoding = 'v8', length = payload.length): 'ok' | 'full' | 'too-large' {
    const written = this.stage(payload, encoding, length);
    if (written === 'ok') this.publish();
    return written;
  }

  /**
   * Writes one record after those already staged without publishing it: the worker does not see it until
   * `publish()`. No atomic operation unless the free space known is short (then the tail is read again).
   */
  stage(payload: Uint8Array, encoding: RingEncoding, length = payload.length): 'ok' | 'full' | 'too-large' {
    const at = this.reserve(length);
    if (at < 0) return at === -1 ? 'full' : 'too-large';
    this.words[at >> 2] = length | (encoding === 'v8' ? 1 << 30 : encoding === 'one' ? 2 << 30 : 0);
    const start = (at + 4) & this.mask;
    if (length <= 256) {
      // A small record: copied byte by byte, wrapping as it goes — no views to allocate.
      for (let index = 0; index < length; index++) this.bytes[(start + index) & this.mask] = payload[index] ?? 0;
    } else {
      const first = Math.min(length, this.capacity - start);
      this.bytes.set(payload.subarray(0, first), start);
      if (first < length) this.bytes.set(payload.subarray(first, length), 0);
    }
    return 'ok';
  }

  /**
   * `stage` of one packed sample (encoding `'one'`) from a buffer read as 32-bit words (the packer's):
   * copied a word at a time, wrapping as it goes (a record and its payload start 4-aligned; the last
   * word's bytes beyond `length` are padding).
   */
  stageWords(payload: Int32Array, length: number): 'ok' | 'full' | 'too-large' {
    const at = this.reserve(length);
    if (at < 0) return at === -1 ? 'full' : 'too-large';
    const words = this.words;
    const wordMask = this.mask >> 2;
    let word = at >> 2;
    words[word] = length | (2 << 30);
    const count = (length + 3) >> 2;
    for (let index = 0; index < count; index++) {
      word = (word + 1) & wordMask;
      words[word] = payload[index] ?? 0;
    }
    return 'ok';
  }

  /** Claims the room of a record of `length` payload bytes after those staged: its offset in `data`; -1 when the free part cannot hold it, -2 when the whole ring cannot. */
  private reserve(length: number): number {
    const needed = RingWriter.recordBytes(length);
    if (needed > this.capacity) return -2;
    if (needed > this.capacity - ((this.staged - this.knownTail) >>> 0)) {
      this.knownTail = Atomics.load(this.header, RING_TAIL);
      if (needed > this.capacity - ((this.staged - this.knownTail) >>> 0)) return -1;
    }
    const at = this.staged & this.mask;
    this.staged = (this.staged + needed) | 0;
    return at;
  }

  /** Whether records were staged and not published yet. */
  get pending(): boolean {
    return this.staged !== this.published;
  }

  /** Makes every staged record visible to the worker (one store of the head) and wakes it if it parked. */
  publish(): void {
    if (this.staged === this.published) return;
    this.published = this.staged;
    // Publishing the head after the bytes (sequentially consistent): the worker never reads a record half-written.
    Atomics.store(this.header, RING_HEAD, this.staged);
    // A parked worker sleeps on the state word: only then is it woken (once: it polls again until it parks).
    if (Atomics.load(this.header, RING_STATE) === RING_PARKED) {
      Atomics.store(this.header, RING_STATE, 0);
      Atomics.notify(this.header, RING_STATE);
      this.wakes++;
    }
  }

  /** Bytes written and not yet collected by the worker. */
  used(): number {
    return (Atomics.load(this.header, RING_HEAD) - Atomics.load(this.header, RING_TAIL)) >>> 0;
  }
}

const THREAD = new URL('../thread/shadow-thread.mjs', import.meta.url);
const RELAY = new URL('../thread/relay.mjs', import.meta.url);
const REPORT_BATCH = 256;
/** A process reports on its timer (`reportIntervalMs`) rather than every 256 samples: each report wakes the control's thread. */
const PROCESS_REPORT_BATCH = 8192;

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:')) return module;
  if (!module.startsWith('/') && !/^[a-z]:[\\/]/i.test(module))
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `the shadow candidate module must be an absolute path or a file: URL, not "${module}"`,
    );
  return pathToFileURL(module).href;
}

/** Where the shadow runner's worker arm (`workerLane`) runs its candidate: a process unless told otherwise. */
export function laneIsolation(options: ShadowWorkerOptions): 'process' | 'thread' {
  return isolationOf(options, 'process');
}

function isolationOf(options: ShadowWorkerOptions, fallback: 'process' | 'thread'): 'process' | 'thread' {
  const isolation: unknown = options.isolation ?? fallback;
  if (isolation !== 'process' && isolation !== 'thread')
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `the shadow worker's isolation must be 'process' or 'thread', not ${JSON.stringify(isolation)}`,
    );
  return isolation;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RolloutError(RolloutErrorCode.BadOptions, `the shadow worker's ${name} must be a positive number, not ${value}`);
  return value;
}

function ringSize(value: number | undefined): number {
  const bytes = value ?? 1 << 20;
  if (!Number.isInteger(bytes) || bytes < 4096 || bytes > 1 << 30 || (bytes & (bytes - 1)) !== 0)
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `the shadow worker's ringBytes must be a power of two from 4096 to 2^30, not ${bytes}`,
    );
  return bytes;
}

/** The order of the layers in the worker's compact reports (thread/shadow-thread.mjs): code = index × 2 + agree. */
const LAYERS: readonly ComparisonLayer[] = ['exact', 'normalised-text', 'actions', 'judge', 'unresolved', 'error'];

/** What a report carries beyond its layer, agreement and duration (rare: details, observations, pairs for the judge). */
export interface ReportExtra {
  readonly index: number;
  readonly detail?: string;
  readonly observation?: unknown;
  readonly judge?: { readonly control: Comparable; readonly candidate: Comparable };
}

/** A message to a worker process that its channel could not deliver: dropped (the process is ending; its exit is reported). */
const undelivered = (): void => undefined;

type FromThread =
  /** `countsOnly`: how many reports of each layer and agreement (index `layer * 2 + agree`). */
  | { readonly type: 'counts'; readonly counts: readonly number[]; readonly finished?: number }
  | {
      readonly type: 'reports';
      readonly codes: Uint8Array;
      readonly durations: Float64Array;
      readonly extras: readonly ReportExtra[];
      /** A process's count of finished samples (a thread's is in shared memory). */
      readonly finished?: number;
    }
  | { readonly type: 'drained'; readonly finished?: number }
  | { readonly type: 'timeout' }
  /** From a relay thread: its worker process started (`spawned`), ended (`exit`), is gone after a `kill` (`gone`). */
  | { readonly type: 'spawned'; readonly pid: number }
  | { readonly type: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly type: 'gone' }
  /** From a relay thread: the CPU priority it lowered itself to, before it spawned the process. */
  | ({ readonly type: 'relay-priority' } & WorkerPriority)
  | { readonly type: 'crashed'; readonly message: string }
  | ({ readonly type: 'priority' } & WorkerPriority)
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: string };

/** Flags of this process a worker process must not get: what runs instead of a script (a child given `-e <code>` would run this process's code, spawning another), and a debugger's. */
const NOT_FOR_CHILD = /^(?:-[epic]|--(?:eval|print|check|interactive|input-type|test|watch|inspect|debug)(?:[-=].*)?)$/;
/** The flags among those that take their value as the next argument. */
const TAKES_VALUE = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/** The child's flags: this process's (loaders such as tsx apply there too) less `NOT_FOR_CHILD`, and its heap limit. */
function childExecArgv(limits: ResourceLimits | undefined): string[] {
  const flags: string[] = [];
  const given = process.execArgv;
  for (let index = 0; index < given.length; index++) {
    const flag = given[index] ?? '';
    if (!NOT_FOR_CHILD.test(flag)) flags.push(flag);
    else if (TAKES_VALUE.has(flag)) index++;
  }
  if (limits === undefined) return flags;
  const { maxOldGenerationSizeMb, ...others } = limits;
  const refused = Object.keys(others);
  if (refused.length > 0)
    throw new RolloutError(
      RolloutErrorCode.BadOptions,
      `a shadow worker process takes only resourceLimits.maxOldGenerationSizeMb, not ${refused.join(', ')} (use isolation: 'thread')`,
    );
  return maxOldGenerationSizeMb === undefined ? flags : [...flags, `--max-old-space-size=${String(maxOldGenerationSizeMb)}`];
}

/**
 * One worker at a time — a child process or a worker thread (`isolation`) — started on demand and
 * replaced after a failure; it keeps the process alive only while someone awaits it (`keepAlive`: a
 * drain, a call), never for shadow work alone. `busy()` says whether anything is in flight, for the watchdog: a worker
 * that has something in flight and says nothing for `timeoutMs` plus a margin is blocked (an async
 * hang it reports itself) and is terminated.
 */
class WorkerHost {
  private worker: Worker | ChildProcess | undefined;
  readonly isolation: 'process' | 'thread';
  private quietSince = 0;
  /** Samples the current worker finished: a thread writes it in shared memory, a process's last report brings it. */
  private progress = new Int32Array(new SharedArrayBuffer(4));
  private sent = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** The current worker's ring (shared handoff), made with the worker. */
  ring: RingWriter | undefined;
  private readonly ringBytes: number;
  private readonly pollMs: number;
  private readonly parkAfterMs: number;
  /** The current (or last) worker's priority as it reported it; undefined until a worker has reported. */
  priority: WorkerPriority | undefined;
  readonly timeoutMs: number;
  private readonly limitMs: number;

  constructor(
    private readonly options: ShadowWorkerOptions,
    private readonly extra: {
      readonly judgeOnMain: boolean;
      readonly countsOnly: boolean;
      readonly shared: boolean;
      readonly isolation: 'process' | 'thread';
    },
    private readonly handlers: {
      readonly message: (message: FromThread) => void;
      readonly failed: (error: RolloutError) => void;
      readonly busy: () => boolean;
    },
  ) {
    this.timeoutMs = positive(options.timeoutMs ?? 30_000, 'timeoutMs');
    const reportIntervalMs = positive(options.reportIntervalMs ?? 200, 'reportIntervalMs');
    this.limitMs = this.timeoutMs + reportIntervalMs + 100;
    moduleUrl(options.module);
    this.ringBytes = ringSize(options.ringBytes);
    this.pollMs = positive(options.pollMs ?? 20, 'pollMs');
    this.parkAfterMs = positive(options.parkAfterMs ?? 1_000, 'parkAfterMs');
    const handoff: unknown = options.handoff;
    if (handoff !== undefined && handoff !== 'shared' && handoff !== 'message')
      throw new RolloutError(
        RolloutErrorCode.BadOptions,
        `the shadow worker's handoff must be 'shared' or 'message', not ${JSON.stringify(handoff)}`,
      );
    this.isolation = extra.isolation;
    if (this.isolation === 'process') {
      childExecArgv(options.resourceLimits);
      try {
        serialize(options.options);
      } catch (error) {
        // A SharedArrayBuffer, a function, a port…: what crosses to a thread may not cross to a process.
        throw new RolloutError(
          RolloutErrorCode.BadOptions,
          `the shadow candidate's options cannot cross to a worker process (${error instanceof Error ? error.message : String(error)}); use isolation: 'thread'`,
          { cause: error },
        );
      }
    }
    const lowPriority: unknown = options.lowPriority;
    if (lowPriority !== undefined && lowPriority !== 'idle' && lowPriority !== 'nice' && lowPriority !== false)
      throw new RolloutError(
        RolloutErrorCode.BadOptions,
        `the shadow worker's lowPriority must be 'idle', 'nice' or false, not ${JSON.stringify(lowPriority)}`,
      );
  }

  get threadId(): number | undefined {
    return this.worker instanceof Worker && this.isolation === 'thread' ? this.worker.threadId : undefined;
  }

  /** The worker process's id (undefined for a thread, before it started and after it ended). */
  get pid(): number | undefined {
    const current = this.worker;
    if (current === undefined) return undefined;
    return current instanceof Worker ? this.relays.get(current)?.pid : current.pid;
  }

  /** What is known of each relay thread's worker process (a process on the shared ring). */
  private readonly relays = new WeakMap<Worker, RelayState>();

  private timeoutError(): RolloutError {
    return new RolloutError(
      RolloutErrorCode.ShadowFailed,
      `the shadow candidate did not answer within ${this.timeoutMs} ms: its worker was terminated (what was in flight fails; the next sample starts a new worker)`,
    );
  }

  /** Samples posted to the current worker that it has not finished yet. */
  lagging(): number {
    // Both counters wrap at 2^31 (Int32 in shared memory); their difference, taken the same way, does not.
    return this.worker === undefined ? 0 : (this.sent - Atomics.load(this.progress, 0)) | 0;
  }

  /** What the worker needs to start (a thread's `workerData`, a process's `init` message). */
  private settings(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      module: moduleUrl(this.options.module),
      exportName: this.options.export ?? 'default',
      options: this.options.options,
      timeoutMs: this.timeoutMs,
      reportIntervalMs: this.options.reportIntervalMs ?? 200,
      reportBatch: this.isolation === 'process' ? PROCESS_REPORT_BATCH : REPORT_BATCH,
      judgeOnMain: this.extra.judgeOnMain,
      countsOnly: this.extra.countsOnly,
      lowPriority: this.options.lowPriority ?? 'idle',
      pollMs: this.pollMs,
      parkAfterMs: this.parkAfterMs,
      ...extra,
    };
  }

  private listen(started: Worker | ChildProcess, relay?: RelayState): void {
    started.on('message', (message: FromThread) => {
      if (relay !== undefined) {
        if (message.type === 'spawned') relay.pid = message.pid;
        else if (message.type === 'exit') relay.childGone = true;
        else if (message.type === 'relay-priority') {
          relay.priority = applied(message);
          return;
        }
      }
      if (this.worker !== started) return;
      this.quietSince = performance.now();
      if (message.type === 'spawned' || message.type === 'gone') return;
      if (message.type === 'exit') this.end(started, exitedError(message.code, message.signal));
      else if (message.type === 'timeout') this.end(started, this.timeoutError());
      else if (message.type === 'crashed')
        this.end(started, new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate's worker crashed: ${message.message}`));
      else if (message.type === 'priority') {
        this.priority = {
          wanted: message.wanted,
          ...applied(message),
          ...(relay?.priority === undefined ? {} : { relay: relay.priority }),
        };
      } else {
        // A relay stored it already, as the message passed (a later one may have come since: not overwritten with this one).
        if (
          relay === undefined &&
          (message.type === 'reports' || message.type === 'counts' || message.type === 'drained') &&
          message.finished !== undefined
        )
          Atomics.store(this.progress, 0, message.finished);
        this.handlers.message(message);
      }
    });
    started.on('error', (error) => {
      this.end(
        started,
        new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate's worker crashed: ${error.message}`, { cause: error }),
      );
    });
    started.on('exit', (code: number | null, signal?: NodeJS.Signals | null) => {
      if (relay !== undefined) {
        relay.relayGone = true;
        // The relay thread ended without its process (it cannot have reaped it: the pid is still its).
        if (!relay.childGone && relay.pid !== undefined) killQuietly(relay.pid);
        relay.childGone = true;
      }
      this.end(started, exitedError(code, signal ?? null));
    });
  }

  /** A process on the shared ring: a relay thread starts it and forwards the ring's records (thread/relay.mjs). */
  private startRelay(ring: RingWriter): Worker {
    const state: RelayState = { childGone: false, relayGone: false };
    const relay = new Worker(RELAY, {
      workerData: {
        ring: ring.buffers,
        progress: this.progress.buffer,
        execArgv: childExecArgv(this.options.resourceLimits),
        script: fileURLToPath(THREAD),
        init: this.settings({}),
        pollMs: this.pollMs,
        parkAfterMs: this.parkAfterMs,
      },
    });
    this.relays.set(relay, state);
    this.listen(relay, state);
    relay.unref();
    return relay;
  }

  private startProcess(): ChildProcess {
    const started = spawn(process.execPath, [...childExecArgv(this.options.resourceLimits), fileURLToPath(THREAD)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    started.unref();
    // The channel must not keep this process alive either (the child ends when it closes).
    started.channel?.unref();
    this.listen(started);
    try {
      started.send({ type: 'init', data: this.settings({}) }, undelivered);
    } catch (error) {
      started.kill('SIGKILL');
      throw error;
    }
    return started;
  }

  private start(): Worker | ChildProcess {
    this.progress = new Int32Array(new SharedArrayBuffer(4));
    this.sent = 0;
    this.pastWakes += this.ring?.wakes ?? 0;
    this.ring = this.extra.shared ? new RingWriter(this.ringBytes) : undefined;
    if (this.isolation === 'process') return this.ring === undefined ? this.startProcess() : this.startRelay(this.ring);
    const started = new Worker(THREAD, {
      workerData: this.settings({ progress: this.progress.buffer, ring: this.ring?.buffers }),
      ...(this.options.resourceLimits === undefined ? {} : { resourceLimits: this.options.resourceLimits }),
    });
    // Unreferenced after the listeners are set (a 'message' listener references the worker's port again).
    this.listen(started);
    started.unref();
    return started;
  }

  private end(ended: Worker | ChildProcess, error: RolloutError): void {
    if (this.worker !== ended) return;
    this.worker = undefined;
    this.stopWatchdog();
    this.handlers.failed(error);
    const stopping = stop(ended, this.relayOf(ended)).finally(() => this.stopping.delete(stopping));
    this.stopping.add(stopping);
  }

  /** While `on` (someone awaits the worker: a drain, a call), the worker (a process: and its channel) keeps this process alive; otherwise it never does. */
  keepAlive(on: boolean): void {
    const current = this.worker;
    if (current === undefined) return;
    if (on) current.ref();
    else current.unref();
    if (!(current instanceof Worker)) {
      if (on) current.channel?.ref();
      else current.channel?.unref();
    }
  }

  private relayOf(worker: Worker | ChildProcess): RelayState | undefined {
    return worker instanceof Worker ? this.relays.get(worker) : undefined;
  }

  /** Workers ended and not gone yet (`close()` waits for them). */
  private readonly stopping = new Set<Promise<void>>();

  private stopWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private armWatchdog(afterMs: number): void {
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      const current = this.worker;
      if (current === undefined || !this.handlers.busy()) return;
      const quietMs = performance.now() - this.quietSince;
      if (quietMs >= this.limitMs) this.end(current, this.timeoutError());
      else this.armWatchdog(this.limitMs - quietMs);
    }, afterMs);
    this.watchdog.unref();
  }

  /** Starts the worker now if none runs (the shadow runner does it when it is made, so that no request pays for it). */
  warm(): void {
    this.worker ??= this.start();
  }

  /** Posts a message (throws a DataCloneError when it cannot cross); starts the worker and the watchdog as needed. */
  post(message: unknown, wasBusy: boolean, samples = 0): void {
    this.worker ??= this.start();
    if (!wasBusy) this.quietSince = performance.now();
    if (this.worker instanceof Worker) this.worker.postMessage(message);
    // A write the channel cannot deliver goes to `undelivered`, not to the process's 'error' event: the
    // process is ending, and its 'exit' says why (not "crashed: write EPIPE").
    else this.worker.send(message as Serializable, undelivered);
    this.sent = (this.sent + samples) | 0;
    if (this.watchdog === undefined) this.armWatchdog(this.limitMs);
  }

  /** Writes a serialised batch of `samples` to the current worker's ring (starting the worker as needed). */
  write(
    payload: Uint8Array,
    encoding: RingEncoding,
    wasBusy: boolean,
    samples: number,
    length = payload.length,
  ): 'ok' | 'full' | 'too-large' {
    this.worker ??= this.start();
    const ring = this.ring;
    if (ring === undefined) return 'too-large';
    const written = ring.write(payload, encoding, length);
    if (written !== 'ok') return written;
    if (!wasBusy) this.quietSince = performance.now();
    this.sent = (this.sent + samples) | 0;
    if (this.watchdog === undefined) this.armWatchdog(this.limitMs);
    return 'ok';
  }

  /**
   * Stages one packed sample in the current worker's ring (starting the worker as needed) without
   * publishing it (`publish`): counted as sent (backpressure), watched only once published.
   */
  stage(payload: Int32Array, length: number): 'ok' | 'full' | 'too-large' {
    this.worker ??= this.start();
    const ring = this.ring;
    if (ring === undefined) return 'too-large';
    const written = ring.stageWords(payload, length);
    if (written === 'ok') this.sent = (this.sent + 1) | 0;
    return written;
  }

  /** Publishes what was staged in the current worker's ring (nothing when the worker ended since: its samples failed with it). */
  publish(wasBusy: boolean): void {
    const ring = this.ring;
    if (this.worker === undefined || !ring?.pending) return;
    ring.publish();
    if (!wasBusy) this.quietSince = performance.now();
    if (this.watchdog === undefined) this.armWatchdog(this.limitMs);
  }

  private pastWakes = 0;
  /** Wakes of parked workers so far (all workers of this host). */
  get wakes(): number {
    return this.pastWakes + (this.ring?.wakes ?? 0);
  }

  /** Terminates the worker (if any) and fails what was in flight with `error`. */
  async close(error: RolloutError): Promise<void> {
    const current = this.worker;
    this.worker = undefined;
    this.stopWatchdog();
    this.handlers.failed(error);
    if (current !== undefined) await stop(current, this.relayOf(current));
    await Promise.all([...this.stopping]);
  }
}

/** What a thread reported the kernel applied to it (`priority`, `tid`, `detail`), without the message's other fields. */
function applied({ priority, tid, detail }: WorkerPriority): Omit<WorkerPriority, 'wanted' | 'relay'> {
  return { priority, ...(tid === undefined ? {} : { tid }), ...(detail === undefined ? {} : { detail }) };
}

/** What the control's thread knows of a relay thread's worker process. */
interface RelayState {
  pid?: number;
  /** The relay thread's own CPU priority, as it reported it. */
  priority?: Omit<WorkerPriority, 'wanted' | 'relay'>;
  /** The process exited (the relay said so) or was killed from here. */
  childGone: boolean;
  /** The relay thread itself exited. */
  relayGone: boolean;
}

function exitedError(code: number | null, signal: NodeJS.Signals | null): RolloutError {
  return new RolloutError(
    RolloutErrorCode.ShadowFailed,
    `the shadow candidate's worker exited (${signal === null ? `code ${String(code)}` : `signal ${signal}`})`,
  );
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * Ends a worker: a thread is terminated, a process killed (SIGKILL: a candidate stuck in a loop cannot
 * delay it) — a relay's process by the relay, which says when it is gone, then the relay thread
 * terminated; resolves when it is gone.
 */
async function stop(worker: Worker | ChildProcess, relay: RelayState | undefined): Promise<void> {
  if (worker instanceof Worker) {
    if (relay !== undefined && !relay.childGone && !relay.relayGone) {
      const gone = new Promise<void>((resolve) => {
        const onMessage = (message: { readonly type?: string }): void => {
          if (message.type === 'gone') done();
        };
        const done = (): void => {
          worker.off('message', onMessage);
          worker.off('exit', done);
          resolve();
        };
        worker.on('message', onMessage);
        worker.on('exit', done);
      });
      worker.ref(); // whoever awaits this is kept alive until the process is gone
      worker.postMessage({ type: 'kill' });
      await gone;
    }
    await worker.terminate();
    return;
  }
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      resolve();
    });
  });
  worker.ref(); // whoever awaits this is kept alive until the process is gone
  worker.kill('SIGKILL');
  await gone;
}

const closedError = (): RolloutError => new RolloutError(RolloutErrorCode.ShadowFailed, 'the shadow runner was closed');

/**
 * The shadow runner's off-path arm: samples go to the worker in batches, the comparison runs there, and
 * `onReport` receives each sample's report (a failure of the worker reports every sample in flight as
 * an error). `judgeOnMain`: the runner has a judge (a function on this thread) for the worker to defer to.
 * `onCounts`, for a runner that needs no detail, duration or observation per sample: the worker sends
 * how many reports of each layer and agreement instead of each one, and they arrive here as counts
 * (what this thread does per report batch no longer grows with the batch; failures still go to `onReport`).
 */
export function workerLane<I>(
  options: ShadowWorkerOptions,
  judgeOnMain: boolean,
  onReport: (agree: boolean, layer: ComparisonLayer, durationMs: number, extra?: ReportExtra) => void,
  onCounts?: (agree: boolean, layer: ComparisonLayer, n: number) => void,
): WorkerLane<I> {
  let outstanding = 0;
  let drains: (() => void)[] = [];
  const settleDrains = (): void => {
    if (outstanding > 0) return;
    const waiting = drains;
    drains = [];
    host.keepAlive(false);
    for (const resolve of waiting) resolve();
  };
  /** Samples staged in the ring and not published yet (counted in `outstanding`). */
  let staged = 0;
  const failAll = (error: RolloutError): void => {
    const failed = outstanding;
    outstanding = 0;
    staged = 0;
    const extra = { index: -1, detail: error.message };
    for (let i = 0; i < failed; i++) onReport(false, 'error', 0, extra);
    settleDrains();
  };
  const isolation = laneIsolation(options);
  const shared = (options.handoff ?? 'shared') === 'shared';
  const host = new WorkerHost(
    options,
    { judgeOnMain, countsOnly: onCounts !== undefined, shared, isolation },
    {
      message(message) {
        if (message.type === 'counts') {
          for (const [code, n] of message.counts.entries()) {
            outstanding -= n;
            if (n > 0) onCounts?.(code % 2 === 1, LAYERS[code >> 1] ?? 'error', n);
          }
        } else if (message.type === 'reports') {
          const { codes, durations, extras } = message;
          outstanding -= codes.length;
          let next = 0;
          for (let index = 0; index < codes.length; index++) {
            const code = codes[index] ?? 0;
            const extra = extras[next]?.index === index ? extras[next++] : undefined;
            onReport(code % 2 === 1, LAYERS[code >> 1] ?? 'error', durations[index] ?? 0, extra);
          }
        }
        if (message.type === 'drained' || outstanding === 0) settleDrains();
      },
      failed: failAll,
      // Staged samples are not the worker's yet: the watchdog waits for them only once published.
      busy: () => outstanding - staged > 0,
    },
  );
  // Started now, not at the first sample: making a thread (the relay's too) stalls this thread for
  // milliseconds, and that must not land on a request.
  host.warm();
  const uncloneable = (error: unknown): void => {
    onReport(false, 'error', 0, {
      index: -1,
      detail: `the shadow input cannot cross to the worker: ${error instanceof Error ? error.message : String(error)}`,
    });
  };

  let ringBatches = 0;
  let ringSamples = 0;
  let stagedSamples = 0;
  let publishes = 0;
  let serialisedBatches = 0;
  let postedBatches = 0;
  let droppedSamples = 0;
  /**
   * Packs one sample straight into the ring, after those staged, as its own record — a few hundred ns
   * while the code is hot (it runs on every request), where a batch's packing runs cold — without
   * publishing it: 0 written, 1 dropped (a full ring), -1 not written (not plain data, larger than the
   * ring, the message handoff).
   */
  const packOne = (input: I, control: Handed): -1 | 0 | 1 => {
    if (!shared) return -1;
    const length = packPairInto(input, control);
    if (length < 0) return -1;
    const written = host.stage(packedWords(), length);
    if (written === 'too-large') return -1;
    if (written === 'full') {
      droppedSamples++;
      return 1;
    }
    outstanding++;
    return 0;
  };
  /** Publishes the staged samples (before anything else is handed over: the worker gets them in order). */
  const publish = (): void => {
    if (staged === 0) return;
    const wasBusy = outstanding - staged > 0;
    staged = 0;
    publishes++;
    host.publish(wasBusy);
  };
  /** Hands one batch over; the number of samples dropped (ring full). Throws when the batch cannot be serialised or cloned. */
  const handOver = (inputs: readonly I[], controls: readonly (Handed | undefined)[]): number => {
    publish();
    const wasBusy = outstanding > 0;
    if (shared) {
      // Serialised once, on this thread, into the ring: no message, so the worker is not woken. Plain data
      // is packed by a short loop (thread/pack.mjs: cheap even when cold), anything else by v8.serialize.
      const batch = { inputs, controls };
      const packed = pack(batch);
      const written =
        packed === undefined
          ? host.write(serialize(batch), 'v8', wasBusy, inputs.length)
          : host.write(packed, 'pack', wasBusy, inputs.length);
      if (written === 'ok') {
        outstanding += inputs.length;
        ringBatches++;
        if (packed === undefined) serialisedBatches++;
        return 0;
      }
      if (written === 'full') {
        droppedSamples += inputs.length;
        return inputs.length;
      }
      // Larger than the whole ring: posted instead (rare; a ring sized for the batches avoids it).
    }
    host.post({ type: 'batch', inputs, controls }, wasBusy, inputs.length);
    outstanding += inputs.length;
    postedBatches++;
    return 0;
  };

  const submit = (inputs: readonly I[], controls: readonly Handed[]): number => {
    if (inputs.length === 0) return 0;
    try {
      return handOver(inputs, controls);
    } catch {
      // One sample that cannot be serialised fails the whole batch: hand them over one by one.
      let dropped = 0;
      for (const [index, input] of inputs.entries()) {
        try {
          dropped += handOver([input], [controls[index]]);
        } catch (error) {
          uncloneable(error);
        }
      }
      return dropped;
    }
  };

  return {
    submit,
    submitOne(input, control) {
      publish();
      const wasBusy = outstanding > 0;
      const packed = packOne(input, control);
      if (packed === 0) {
        ringSamples++;
        host.publish(wasBusy);
        return 0;
      }
      if (packed === 1) return 1;
      // Not plain data (v8.serialize), larger than the ring, or the message handoff: a batch of one.
      return submit([input], [control]);
    },
    stageOne(input, control) {
      const packed = packOne(input, control);
      if (packed === 0) {
        staged++;
        stagedSamples++;
      }
      return packed;
    },
    publish,
    staged: () => staged,
    // A process's samples are staged and published every `handoffMs` even while requests come one at a
    // time: a publish per request stores to the ring's header, which the relay reads from another core,
    // on every request (a record published per request cost 5.9 µs cold against 1.7 µs: README).
    direct: shared && isolation === 'thread',
    handoffs: () => ({
      isolation,
      mode: shared ? 'shared' : 'message',
      ringBatches,
      ringSamples,
      stagedSamples,
      publishes,
      serialisedBatches,
      postedBatches,
      droppedSamples,
      wakes: host.wakes,
    }),
    outstanding: () => outstanding,
    lagging: () => host.lagging(),
    priority: () => host.priority,
    drain() {
      publish();
      if (outstanding === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drains.push(resolve);
        try {
          host.post({ type: 'drain' }, true);
          // Someone waits for the worker: it must keep this process alive meanwhile (it is unreferenced otherwise).
          host.keepAlive(true);
        } catch {
          failAll(closedError());
        }
      });
    },
    close: () => host.close(closedError()),
  };
}

interface Pending<R> {
  readonly resolve: (value: R) => void;
  readonly reject: (error: RolloutError) => void;
}

/**
 * A candidate that runs in a worker (a thread unless `isolation: 'process'`), from a module and cloneable
 * options, one input at a time, its result sent back. The worker starts at the first call and stays up
 * (it keeps the process alive only while a call waits); a timeout, crash or exit ends it and the next
 * call starts another.
 */
export function workerCandidate<I, R>(options: ShadowWorkerOptions): WorkerCandidate<I, R> {
  let seq = 0;
  const pending = new Map<number, Pending<R>>();
  const host = new WorkerHost(
    options,
    { judgeOnMain: false, countsOnly: false, shared: false, isolation: isolationOf(options, 'thread') },
    {
      message(message) {
        if (message.type !== 'result') return;
        const call = pending.get(message.id);
        if (call === undefined) return;
        pending.delete(message.id);
        host.keepAlive(pending.size > 0);
        if (message.ok) call.resolve(message.result as R);
        else call.reject(new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow candidate failed: ${message.error}`));
      },
      failed(error) {
        const calls = [...pending.values()];
        pending.clear();
        for (const call of calls) call.reject(error);
      },
      busy: () => pending.size > 0,
    },
  );
  return {
    run(input) {
      const id = ++seq;
      return new Promise<R>((resolve, reject) => {
        const wasBusy = pending.size > 0;
        pending.set(id, { resolve, reject });
        try {
          host.post({ type: 'call', id, input }, wasBusy);
          // A caller waits for the answer: the worker keeps this process alive until it comes.
          host.keepAlive(true);
        } catch (error) {
          pending.delete(id);
          reject(
            new RolloutError(RolloutErrorCode.ShadowFailed, `the shadow input cannot cross to the worker: ${(error as Error).message}`, {
              cause: error,
            }),
          );
        }
      });
    },
    get threadId() {
      return host.threadId;
    },
    get pid() {
      return host.pid;
    },
    get priority() {
      return host.priority;
    },
    close: () => host.close(closedError()),
  };
}

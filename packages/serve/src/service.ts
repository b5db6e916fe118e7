// The HTTP service (fastify): routes, authentication, limits, problem documents, and the wiring of the
// durable queue, the workers and the agent(s).
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import { type Agent, AgentError, type AgentOptions, type RunResult, type RunState } from '@charter/agent';
import { createRouter, type Observation, type RolloutStore, storeRoutingSource } from '@charter/rollout';
import { outcomeOfRun, shadowAgentOptions } from '@charter/rollout/agent';
import type { Feedback } from '@charter/spec';
import { StateError, StateErrorCode, type StateStores } from '@charter/state';
import { createPrometheusSink, createTelemetry } from '@charter/telemetry';
import { createAgent } from '@charter/agent';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ServeError, ServeErrorCode } from './errors.js';
import { RunEvents } from './events.js';
import { openApiDocument } from './openapi.js';
import { HttpProblem, jsonDepthExceeds, problem, PROBLEM_CONTENT_TYPE, type Problem } from './problems.js';
import { type Job, JobQueue, type JobPayload, newRunId, type Rejection } from './queue.js';
import { defaultQuotas, type Quotas } from './quotas.js';
import { approvalSchema, agentParams, feedbackSchema, runIdParams, runRequestSchema } from './schemas.js';
import { type Tenant, TenantStore } from './tenants.js';
import { type Execution, WorkerPool } from './workers.js';

/** `createAgent` options without what the service provides (run store, ledger, controls, telemetry). */
export type ServedAgentOptions = Omit<AgentOptions, 'store' | 'ledger' | 'controls' | 'telemetry'>;

export interface ServeLimits {
  /** Largest request body in bytes (default 65 536): 413 beyond. */
  readonly bodyBytes?: number;
  /** Deepest nesting of arrays and objects in a JSON body (default 16): 400 beyond. */
  readonly jsonDepth?: number;
  /** Largest request head (request line and headers) in bytes (default 16 384): 431 beyond. */
  readonly headerBytes?: number;
  /** Time for a client to send its whole request (default 30 000 ms): 408 beyond. */
  readonly requestTimeoutMs?: number;
  /** How long a sync run request waits by default before answering 202 (default 30 000 ms, capped at the manifest's timeout). */
  readonly syncTimeoutMs?: number;
}

export interface ServeOptions {
  readonly agent: ServedAgentOptions;
  /** Where runs, the ledger, controls, tenants and the queue live: SQL stores (`openState` with postgres:// or pglite:). */
  readonly state: StateStores;
  /** Worker loops in this process (default 2); 0 serves HTTP only (another process works the queue). */
  readonly workers?: number;
  /** Service-wide quota defaults, over those derived from the manifest's budgets; a tenant's own quotas win. */
  readonly quotas?: Partial<Quotas>;
  /** Queued runs at most, all tenants together (default 1000): 503 + Retry-After beyond. */
  readonly maxQueued?: number;
  /** Lease of a claimed job (default 10 000 ms): how long a dead worker's run waits before another takes it over. */
  readonly leaseMs?: number;
  /** Runs of one tenant running at once (default: workers − 1, at least 1): the others' share of the workers. */
  readonly maxRunningPerTenant?: number;
  readonly limits?: ServeLimits;
  /** A rollout in the request path: each request's variant comes from the rollout's routing. */
  readonly rollout?: {
    readonly store: RolloutStore;
    /** The rollout id (default: the agent name). */
    readonly id?: string;
    readonly candidate: ServedAgentOptions;
    /** Fed with every served run's outcome per arm (e.g. `controller.observe`). */
    readonly observe?: (observation: Observation) => void;
  };
  /** The idle pool's first poll wait (default 25 ms); see `WorkerPoolOptions.idleMs`. */
  readonly idleMs?: number;
  /** The idle pool's longest poll wait (default a quarter of the lease, at most 250 ms); see `WorkerPoolOptions.idleMaxMs`. */
  readonly idleMaxMs?: number;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly agentName: string;
  readonly queue: JobQueue;
  readonly tenants: TenantStore;
  readonly workers: WorkerPool;
  readonly events: RunEvents;
  /** Starts listening; resolves to `http://host:port`. */
  listen(options?: { readonly port?: number; readonly host?: string }): Promise<string>;
  /** Graceful shutdown: refuse new runs (503), finish or hand back the runs in flight, stop listening. Leaves the state open. */
  close(timeoutMs?: number): Promise<{ readonly finished: number; readonly requeued: number }>;
}

interface StoredResult {
  readonly status: 'completed' | 'paused' | 'escalated' | 'denied' | 'failed';
  readonly output?: string | undefined;
  readonly reason?: string | undefined;
  readonly steps?: number | undefined;
  readonly durationMs?: number | undefined;
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly tokens: number; readonly costUsd: number };
  readonly approval?: { readonly approvalId: string; readonly tool: string; readonly args: unknown; readonly reason: string } | undefined;
  readonly error?: string | undefined;
}

export interface RunView extends Omit<StoredResult, 'status' | 'error'> {
  readonly id: string;
  readonly agent: string;
  readonly status: 'queued' | 'running' | StoredResult['status'];
  readonly variant?: 'control' | 'shadow' | 'candidate';
  readonly createdAt: string;
  readonly updatedAt: string;
}

const ZERO = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** Requests waiting for a job, process-wide: every service of this process wakes them when it finishes the job. */
/** The body of `POST /v1/runs/{id}/feedback` (validated by `feedbackSchema`). */
interface FeedbackBody {
  readonly rating?: number;
  readonly correction?: string | NonNullable<Feedback['correction']>;
  readonly kind?: 'rating' | 'escalation-override';
  readonly reason?: string;
  readonly comment?: string;
  readonly category?: string;
  readonly by?: string;
}

/** Sync requests waiting for a job, woken by the service of this process that finishes it (with the finished job). */
const waiters = new Map<string, Set<(finished?: Job) => void>>();
/** This process, as a job's `waiter` (a worker pool's holder id starts with it). */
const PROCESS = `${hostname()}:${process.pid}`;
const DONE_CHANNEL = 'charter_serve_done';

function stored(result: RunResult): StoredResult {
  return {
    status: result.status,
    output: result.output,
    reason: result.reason,
    steps: result.steps,
    durationMs: result.durationMs,
    usage: result.usage,
    approval:
      result.approval === undefined
        ? undefined
        : {
            approvalId: result.approval.approvalId,
            tool: result.approval.tool,
            args: result.approval.args,
            reason: result.approval.reason,
          },
  };
}

function storedOfState(state: RunState): StoredResult {
  const status = state.status === 'running' ? 'failed' : state.status;
  return {
    status,
    output: state.output,
    reason: state.reason,
    steps: state.step,
    usage: { ...state.usage, tokens: state.usage.inputTokens + state.usage.outputTokens },
    approval:
      state.pending === undefined
        ? undefined
        : { approvalId: state.pending.approvalId, tool: state.pending.tool, args: state.pending.args, reason: state.pending.reason },
  };
}

export function viewOf(job: Job): RunView {
  const result = job.result as StoredResult | undefined;
  const status: RunView['status'] =
    job.status === 'queued'
      ? 'queued'
      : job.status === 'running'
        ? 'running'
        : (result?.status ?? (job.status === 'failed' ? 'failed' : 'completed'));
  const finished = status !== 'queued' && status !== 'running';
  const { error, status: _status, ...rest } = result ?? { status: 'failed' };
  return {
    id: job.id,
    agent: job.agent,
    status,
    ...(job.payload.variant === undefined ? {} : { variant: job.payload.variant }),
    ...(finished ? rest : {}),
    ...(finished && error !== undefined && rest.reason === undefined ? { reason: error } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

function nameOf(options: ServedAgentOptions): string {
  const name = options.agent?.manifest?.metadata.name ?? options.manifest?.metadata.name;
  if (name === undefined) throw new ServeError(ServeErrorCode.BadOptions, 'the served agent needs `agent` (loadAgent) or `manifest`');
  return name;
}

/** Builds the service (not listening yet; workers started). */
export function createService(options: ServeOptions): Service {
  const { state } = options;
  if (state.sql === undefined)
    throw new ServeError(
      ServeErrorCode.BadOptions,
      `charter serve needs SQL state for its queue and tenants, not "${state.kind}": use postgres://… or pglite:<folder> (pglite:memory for tests)`,
    );
  const db = state.sql;
  const agentName = nameOf(options.agent);
  const manifest = options.agent.agent?.manifest ?? options.agent.manifest;
  if (manifest === undefined) throw new ServeError(ServeErrorCode.BadOptions, 'the served agent has no valid manifest');
  const workerCount = options.workers ?? 2;
  if (!Number.isInteger(workerCount) || workerCount < 0 || workerCount > 256)
    throw new ServeError(ServeErrorCode.BadOptions, `workers must be a whole number from 0 to 256, got ${workerCount}`);
  const limits = {
    bodyBytes: options.limits?.bodyBytes ?? 65_536,
    jsonDepth: options.limits?.jsonDepth ?? 16,
    headerBytes: options.limits?.headerBytes ?? 16_384,
    requestTimeoutMs: options.limits?.requestTimeoutMs ?? 30_000,
    syncTimeoutMs: Math.min(options.limits?.syncTimeoutMs ?? 30_000, manifest.spec.budgets.timeoutMs),
  };
  const maxInputChars = options.agent.maxInputChars ?? 20_000;
  const serviceQuotas: Quotas = { ...defaultQuotas(manifest), ...options.quotas };
  const quotasOf = (tenant: Tenant): Quotas => ({ ...serviceQuotas, ...tenant.quotas });

  const prometheus = createPrometheusSink();
  const events = new RunEvents();
  const telemetry = createTelemetry({ agent: agentName, sinks: [prometheus, events], onSinkError: () => undefined });
  const build = (agentOptions: ServedAgentOptions): Agent =>
    createAgent({ ...agentOptions, store: state.runs, ledger: state.ledger, controls: state.controls, telemetry });
  const control = build(options.agent);
  const candidate = options.rollout === undefined ? undefined : build(options.rollout.candidate);
  const shadow = options.rollout === undefined ? undefined : createAgent(shadowAgentOptions(options.rollout.candidate));
  const routing = options.rollout === undefined ? undefined : storeRoutingSource(options.rollout.store, options.rollout.id ?? agentName);
  const router = createRouter(agentName);

  const queue = new JobQueue(db, {
    agent: agentName,
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    maxRunningPerTenant: options.maxRunningPerTenant ?? Math.max(1, workerCount - 1),
  });
  const tenants = new TenantStore(db);
  const rejections = new Map<string, number>();
  const reject = (reason: string): void => {
    rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
  };

  // --- execution ------------------------------------------------------------------------------
  const observe = (arm: 'control' | 'candidate', result: RunResult): void => {
    try {
      options.rollout?.observe?.({ arm, ...outcomeOfRun(result) });
    } catch {
      // the analysis must never fail a served run
    }
  };

  async function runJob(job: Job, signal: AbortSignal): Promise<RunResult | StoredResult> {
    const variant = job.payload.variant ?? 'control';
    const agent = variant === 'candidate' && candidate !== undefined ? candidate : control;
    if (job.kind === 'resume') {
      const decision = job.payload.decision;
      if (decision === undefined) throw new Error(`job ${job.id} is a resume without a decision`);
      return agent.resume(job.id, decision, { signal });
    }
    // A job claimed again (its worker died or handed it back) continues from the run's checkpoint.
    if (job.attempts > 1) {
      const checkpoint = await state.runs.load(job.id);
      if (checkpoint !== undefined && checkpoint.status !== 'running') return storedOfState(checkpoint);
      if (checkpoint?.status === 'running') {
        try {
          return await agent.resume(job.id, { approved: false, approver: 'charter-serve:takeover' }, { signal });
        } catch (error) {
          if (!AgentError.isInstance(error)) throw error;
          // Held by a live process id (a worker of this process): re-run under the same id; the ledger keeps effects once.
        }
      }
    }
    const runOptions = {
      runId: job.id,
      tenant: job.tenant,
      signal,
      ...(job.payload.user === undefined ? {} : { user: job.payload.user }),
      ...(job.payload.context === undefined ? {} : { context: job.payload.context }),
    };
    const result = await agent.run(job.payload.input, runOptions);
    if (variant === 'shadow' && shadow !== undefined) {
      observe('control', result);
      void shadow
        .run(job.payload.input, { tenant: job.tenant, ...(job.payload.user === undefined ? {} : { user: job.payload.user }) })
        .then((shadowResult) => {
          observe('candidate', shadowResult);
        })
        .catch(() => undefined);
    } else if (options.rollout !== undefined) observe(variant === 'candidate' ? 'candidate' : 'control', result);
    return result;
  }

  async function execute(job: Job, signal: AbortSignal): Promise<Execution> {
    const outcome = await runJob(job, signal);
    const result = 'runId' in outcome ? stored(outcome) : outcome;
    const usage = result.usage ?? { ...ZERO, tokens: 0 };
    const charged = job.payload.charged ?? ZERO;
    return {
      status: 'done',
      result,
      usage: {
        inputTokens: Math.max(0, usage.inputTokens - charged.inputTokens),
        outputTokens: Math.max(0, usage.outputTokens - charged.outputTokens),
        costUsd: Math.max(0, usage.costUsd - charged.costUsd),
      },
    };
  }

  const notify = (jobId: string, finished?: Job): void => {
    for (const wake of waiters.get(jobId) ?? []) wake(finished);
  };
  // A sync request's job run by another process is announced by its finish (NOTIFY charter_serve_done,
  // see `waiter` in the payload): while this process listens, a waiter polls only as a safety net.
  let listening = false;
  let stopListening: (() => Promise<void>) | undefined;
  let closed = false;
  const listen = (): void => {
    if (db.listen === undefined || closed) return;
    db.listen(
      DONE_CHANNEL,
      (jobId) => {
        notify(jobId);
      },
      () => {
        listening = false;
        stopListening = undefined;
        setTimeout(listen, 1000).unref();
      },
    ).then(
      (stop) => {
        if (closed) return void stop();
        stopListening = stop;
        listening = true;
      },
      () => setTimeout(listen, 1000).unref(),
    );
  };
  listen();
  const workers = new WorkerPool({
    queue,
    execute,
    workers: workerCount,
    ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    ...(options.idleMaxMs === undefined ? {} : { idleMaxMs: options.idleMaxMs }),
    onFinished: (job, execution, kept) => {
      events.publish(job.id, 'run', { id: job.id, status: (execution.result as StoredResult).status });
      // Kept: this worker's finish was written, so the job as stored is known here (no read back).
      notify(
        job.id,
        kept ? { ...job, status: execution.status, result: execution.result, updatedAt: new Date().toISOString() } : undefined,
      );
    },
  });

  /** Waits until the job leaves queued/running (woken by this process's workers, or polled for another's). */
  async function waitFor(job: Job, tenant: string, timeoutMs: number): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    let current = job;
    let poll = 25;
    while (current.status === 'queued' || current.status === 'running') {
      const left = deadline - Date.now();
      if (left <= 0) return current;
      // A job this instance's workers hold is announced when it finishes: the poll is only a safety net
      // (the lease lost to another process); a job queued or run elsewhere is polled.
      const local = workers.holds(job.id);
      const finished = await new Promise<Job | undefined>((resolve) => {
        const set = waiters.get(job.id) ?? new Set();
        waiters.set(job.id, set);
        const wake = (done?: Job): void => {
          clearTimeout(timer);
          set.delete(wake);
          if (set.size === 0) waiters.delete(job.id);
          resolve(done);
        };
        // Woken at once by any service of this process that finishes the job; polled for another process's.
        const timer = setTimeout(wake, Math.min(left, local || listening ? 1000 : poll));
        if (!local && !listening) poll = Math.min(poll * 2, 200);
        set.add(wake);
      });
      current = finished ?? (await queue.get(job.id, tenant)) ?? current;
    }
    return current;
  }

  // --- HTTP -----------------------------------------------------------------------------------
  let draining = false;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyBytes,
    routerOptions: { maxParamLength: 200 },
    requestTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
    ajv: { customOptions: { allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false } },
    serverFactory: (handler) =>
      createServer(
        {
          maxHeaderSize: limits.headerBytes,
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: Math.min(limits.requestTimeoutMs, 60_000),
        },
        handler,
      ),
    clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const body =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? problem('headersTooLarge', `the request line and headers exceed ${limits.headerBytes} bytes: send smaller headers`)
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? problem('requestTimeout', `the request did not arrive within ${limits.requestTimeoutMs} ms`)
            : problem('malformedJson', 'the request is not valid HTTP', {
                type: 'urn:charter:problem:bad-request',
                title: 'Bad request',
                status: 400,
              });
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${body.status} ${body.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new HttpProblem(problem('malformedJson', 'the body is empty: send a JSON object')), undefined);
      return;
    }
    if (jsonDepthExceeds(text, limits.jsonDepth)) {
      done(new HttpProblem(problem('jsonTooDeep', `the body nests arrays or objects deeper than ${limits.jsonDepth} levels`)), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpProblem(problem('malformedJson', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`)), undefined);
    }
  });

  const send = (reply: FastifyReply, value: Problem, headers: Readonly<Record<string, string>> = {}): FastifyReply =>
    reply.code(value.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(value);

  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) return send(reply, { ...error.problem, instance: request.url }, error.headers);
    const fe = error;
    if (fe.validation !== undefined) {
      const where = fe.validationContext ?? 'body';
      const errors = fe.validation.map((issue) => {
        const params = issue.params as { missingProperty?: string; additionalProperty?: string };
        const field = params.missingProperty ?? params.additionalProperty;
        const pointer = `${issue.instancePath}${field === undefined ? '' : `/${field}`}`;
        return { pointer: `/${where}${pointer}`, detail: `${pointer === '' ? where : pointer.slice(1)} ${issue.message ?? 'is invalid'}` };
      });
      return send(reply, problem('validation', errors.map((e) => e.detail).join('; '), { instance: request.url, errors }));
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(
          reply,
          problem('bodyTooLarge', `the body exceeds ${limits.bodyBytes} bytes`, { instance: request.url, limit: limits.bodyBytes }),
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(
          reply,
          problem(
            'unsupportedMediaType',
            `send Content-Type: application/json, not ${String(request.headers['content-type']).slice(0, 80)}`,
          ),
        );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return send(reply, problem('malformedJson', 'the body is not valid JSON', { instance: request.url }));
      default:
        if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
          return send(reply, {
            type: 'urn:charter:problem:bad-request',
            title: 'Bad request',
            status: fe.statusCode,
            detail: fe.message,
            instance: request.url,
          });
        return send(reply, problem('internal', 'the service failed on this request; it is logged', { instance: request.url }));
    }
  });
  app.setNotFoundHandler((request, reply) => send(reply, problem('notFound', `no route ${request.method} ${request.url.slice(0, 200)}`)));

  const bearer = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    return header?.startsWith('Bearer ') === true ? header.slice(7).trim() : undefined;
  };
  /** Run requests whose key `preParsing` already checked. */
  const authenticated = new WeakMap<FastifyRequest, Tenant>();
  const authenticate = async (request: FastifyRequest): Promise<Tenant> => {
    const key = bearer(request);
    const tenant = await tenants.authenticate(key);
    if (tenant === undefined)
      throw new HttpProblem(
        problem('unauthorized', key === undefined ? 'send Authorization: Bearer <API key>' : 'the API key is unknown or revoked'),
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    return tenant;
  };
  const notFound = (id: string): HttpProblem => new HttpProblem(problem('notFound', `no run "${id}"`));
  const location = (id: string): string => `/v1/runs/${id}`;

  /** A refused admission: 503 (queue full) or 429 (a quota), with Retry-After. */
  const refuse = (reply: FastifyReply, url: string, tenant: string, r: Rejection): FastifyReply => {
    const headers = { 'Retry-After': String(r.retryAfterS) };
    if (r.kind === 'queue-full') {
      reject('queue_full');
      return send(
        reply,
        problem('queueFull', `${r.queued} runs are queued (limit ${r.limit}): retry after ${r.retryAfterS} s`, {
          limit: r.limit,
          instance: url,
        }),
        headers,
      );
    }
    reject(`quota_${r.quota}`);
    return send(
      reply,
      problem(
        'quotaExceeded',
        r.burst === undefined
          ? `tenant ${tenant} used ${r.used} of its ${r.quota} quota (${r.limit}): retry after ${r.retryAfterS} s`
          : `tenant ${tenant} sends faster than its ${r.quota} quota (${r.limit} a minute, at most ${r.burst} at once; ${r.used} admitted in the last minute): retry after ${r.retryAfterS} s`,
        {
          quota: r.quota,
          limit: r.limit,
          used: r.used,
          ...(r.burst === undefined ? {} : { burst: r.burst }),
          instance: url,
        },
      ),
      headers,
    );
  };

  interface RunBody {
    input: string;
    user?: string;
    context?: Record<string, string | string[]>;
    mode?: 'sync' | 'async';
    timeoutMs?: number;
  }
  app.post<{ Params: { name: string }; Body: RunBody }>(
    '/v1/agents/:name/runs',
    {
      schema: { params: agentParams, body: runRequestSchema(maxInputChars) },
      // A tenant refused from memory (a flood) is answered before its body is read, parsed and validated;
      // any other request (unknown key, not refused) goes on as usual and meets its errors in order.
      preParsing: async (request, reply, payload) => {
        const key = bearer(request);
        const tenant = key === undefined ? undefined : await tenants.authenticate(key);
        if (tenant === undefined) return payload;
        authenticated.set(request, tenant);
        if (draining || (request.params as { name?: string }).name !== agentName) return payload;
        const early = queue.refusedNow(tenant.id, quotasOf(tenant));
        if (early !== undefined) {
          refuse(reply, request.url, tenant.id, early);
          return reply;
        }
        return payload;
      },
    },
    async (request, reply) => {
      const tenant = authenticated.get(request) ?? (await authenticate(request));
      if (request.params.name !== agentName)
        throw new HttpProblem(problem('notFound', `this service serves agent "${agentName}", not "${request.params.name}"`));
      if (draining) {
        reject('shutting_down');
        throw new HttpProblem(problem('shuttingDown', 'the service is draining: retry against another instance'), { 'Retry-After': '1' });
      }
      const body = request.body;
      const runId = newRunId();
      let variant: JobPayload['variant'];
      if (routing !== undefined) variant = router.decide(await routing.routing(), `${tenant.id}:${body.user ?? runId}`);
      const admitted = await queue.enqueue(
        tenant,
        quotasOf(tenant),
        {
          input: body.input,
          ...(body.user === undefined ? {} : { user: body.user }),
          ...(body.context === undefined ? {} : { context: body.context }),
          ...(variant === undefined ? {} : { variant }),
          ...(body.mode === 'async' ? {} : { waiter: PROCESS }),
        },
        runId,
      );
      if ('rejected' in admitted) return refuse(reply, request.url, tenant.id, admitted.rejected);
      workers.wakeOne();
      const job =
        body.mode === 'async'
          ? admitted.job
          : await waitFor(admitted.job, tenant.id, Math.min(body.timeoutMs ?? limits.syncTimeoutMs, limits.syncTimeoutMs));
      const view = viewOf(job);
      if (view.status === 'queued' || view.status === 'running') return reply.code(202).header('Location', location(job.id)).send(view);
      return reply.code(200).header('Location', location(job.id)).send(view);
    },
  );

  app.get<{ Params: { id: string } }>('/v1/runs/:id', { schema: { params: runIdParams } }, async (request) => {
    const tenant = await authenticate(request);
    const job = await queue.get(request.params.id, tenant.id);
    if (job === undefined) throw notFound(request.params.id);
    return viewOf(job);
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id/events', { schema: { params: runIdParams } }, async (request, reply) => {
    const tenant = await authenticate(request);
    const job = await queue.get(request.params.id, tenant.id);
    if (job === undefined) throw notFound(request.params.id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    let id = 0;
    let closed = false;
    const write = (type: string, data: unknown): void => {
      if (!closed) raw.write(`id: ${++id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const finish = (final: Job): void => {
      if (closed) return;
      write('run', viewOf(final));
      closed = true;
      cleanup();
      raw.end();
    };
    const finishIfDone = (current: Job | undefined): void => {
      if (current !== undefined && current.status !== 'queued' && current.status !== 'running') finish(current);
    };
    const unsubscribe = events.subscribe(job.id, (event) => {
      if (event.type !== 'run') write(event.type, event.data);
      else void queue.get(job.id, tenant.id).then(finishIfDone);
    });
    // Another process may run the job: poll its status too, and keep the connection alive.
    const poll = setInterval(() => {
      if (!closed) raw.write(': keep-alive\n\n');
      void queue
        .get(job.id, tenant.id)
        .then(finishIfDone)
        .catch(() => undefined);
    }, 500);
    const cleanup = (): void => {
      clearInterval(poll);
      unsubscribe();
    };
    raw.on('close', () => {
      closed = true;
      cleanup();
    });
    if (job.status !== 'queued' && job.status !== 'running') finish(job);
  });

  app.post<{ Params: { id: string }; Body: { approved: boolean; approver?: string; reason?: string } }>(
    '/v1/runs/:id/approval',
    { schema: { params: runIdParams, body: approvalSchema } },
    async (request, reply) => {
      const tenant = await authenticate(request);
      const { approved, approver, reason } = request.body;
      const by = approver ?? `tenant:${tenant.id}`;
      const job = await queue.enqueueResume(request.params.id, tenant.id, {
        approved,
        approver: by,
        ...(reason === undefined ? {} : { reason }),
      });
      if (job === undefined) {
        const existing = await queue.get(request.params.id, tenant.id);
        if (existing === undefined) throw notFound(request.params.id);
        throw new HttpProblem(problem('notPaused', `run ${existing.id} is ${viewOf(existing).status}, not waiting for an approval`));
      }
      // A human refusing what the agent asked for overrides the agent: that is feedback on the run.
      const tool = (job.result as StoredResult | undefined)?.approval?.tool;
      if (!approved && tool !== undefined)
        await state.feedback.record({
          runId: job.id,
          agent: agentName,
          tenant: tenant.id,
          kind: 'approval-denied',
          correction: { mustNotRun: [tool] },
          ...(reason === undefined ? {} : { reason }),
          by,
        });
      workers.wakeOne();
      return reply.code(202).header('Location', location(job.id)).send(viewOf(job));
    },
  );

  app.post<{ Params: { id: string }; Body: FeedbackBody }>(
    '/v1/runs/:id/feedback',
    { schema: { params: runIdParams, body: feedbackSchema } },
    async (request, reply) => {
      const tenant = await authenticate(request);
      const job = await queue.get(request.params.id, tenant.id);
      if (job === undefined) throw notFound(request.params.id);
      const body = request.body;
      const reason = body.reason ?? body.comment;
      let feedback: Feedback;
      try {
        feedback = await state.feedback.record({
          runId: job.id,
          agent: agentName,
          tenant: tenant.id,
          kind: body.kind ?? 'rating',
          ...(body.rating === undefined ? {} : { rating: body.rating }),
          ...(body.correction === undefined
            ? {}
            : { correction: typeof body.correction === 'string' ? { answer: body.correction } : body.correction }),
          ...(reason === undefined ? {} : { reason }),
          ...(body.category === undefined ? {} : { category: body.category }),
          by: body.by ?? `tenant:${tenant.id}`,
        });
      } catch (error) {
        if (StateError.isInstance(error) && error.code === StateErrorCode.BadFeedback)
          throw new HttpProblem(problem('validation', error.message, { errors: [{ pointer: '/body', detail: error.message }] }));
        throw error;
      }
      if (feedback.rating !== undefined) telemetry.emit({ type: 'feedback', runId: job.id, score: feedback.rating });
      return reply.code(201).send(feedback);
    },
  );

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (draining) return send(reply, problem('shuttingDown', 'the service is draining'));
    try {
      await db.query('SELECT 1');
    } catch (error) {
      return send(reply, {
        ...problem('internal', `the database does not answer: ${(error as Error).message.slice(0, 200)}`),
        status: 503,
      });
    }
    return { status: 'ready', workers: workerCount, inFlight: workers.inFlight };
  });
  app.get('/metrics', async (_request, reply) => {
    const depth = await queue.depth();
    const lines = [
      '# HELP charter_serve_jobs Runs of this agent in the queue, by state (all instances).',
      '# TYPE charter_serve_jobs gauge',
      `charter_serve_jobs{agent="${agentName}",state="queued"} ${depth.queued}`,
      `charter_serve_jobs{agent="${agentName}",state="running"} ${depth.running}`,
      '# HELP charter_serve_rejections_total Run requests refused by this instance, by reason (quota_*, queue_full, shutting_down).',
      '# TYPE charter_serve_rejections_total counter',
      ...[...rejections].map(([reason, n]) => `charter_serve_rejections_total{agent="${agentName}",reason="${reason}"} ${n}`),
    ];
    return reply.type(prometheus.contentType).send(`${prometheus.text()}${lines.join('\n')}\n`);
  });
  const document = openApiDocument({ agent: agentName, version: '1', maxInputChars });
  app.get('/openapi.json', () => document);

  workers.start();

  return {
    app,
    agentName,
    queue,
    tenants,
    workers,
    events,
    async listen(listenOptions = {}) {
      return app.listen({ port: listenOptions.port ?? 0, host: listenOptions.host ?? '127.0.0.1' });
    },
    async close(timeoutMs = 10_000) {
      draining = true;
      const drained = await workers.drain(timeoutMs);
      await app.close();
      closed = true;
      listening = false;
      await stopListening?.();
      await Promise.all([control.close(), candidate?.close(), shadow?.close()]);
      return drained;
    },
  };
}

import { request as httpRequest } from 'node:http';
import { listFeedback, openState, type StateStores } from '@charter/state';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './__fixtures__/harness.js';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { readEffects } from './__fixtures__/shop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunBody {
  id: string;
  status: string;
  output?: string;
  reason?: string;
  usage?: { tokens: number; costUsd: number };
  approval?: { tool: string };
}

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}: last ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

/** The same behaviour over each store the service runs on. */
function serviceSuite(label: string, open: () => Promise<{ state: StateStores; drop: () => Promise<void> }>) {
  describe(`charter serve over ${label}`, () => {
    let state: StateStores;
    let drop: () => Promise<void>;
    let h: Harness;
    let n = 0;
    /** A fresh tenant (quotas and counts never leak between tests). */
    const tenant = async (quotas: Record<string, number> = {}) => {
      const id = `t${++n}-${Math.random().toString(36).slice(2, 8)}`;
      const { apiKey } = await h.service.tenants.add(id, { quotas });
      return { id, key: apiKey };
    };
    const run = (key: string, body: unknown) => h.request('/v1/agents/serve-shop/runs', { key, body });
    const view = async (key: string, id: string) => (await (await h.request(`/v1/runs/${id}`, { key })).json()) as RunBody;

    beforeAll(async () => {
      ({ state, drop } = await open());
      h = await startHarness({ state, tenants: [], serve: { workers: 2 } });
    });
    afterAll(async () => {
      await h.close();
      await drop();
    });

    it('POST runs: sync answers 200 with the finished run, async 202 with its Location; GET shows it', async () => {
      const t = await tenant();
      const sync = await run(t.key, { input: 'hello there' });
      expect(sync.status).toBe(200);
      const done = (await sync.json()) as RunBody;
      expect(done).toMatchObject({ status: 'completed', output: 'Hello! You said 11 characters.' });
      expect(done.usage?.tokens).toBeGreaterThan(0);
      const queued = await run(t.key, { input: 'hi', mode: 'async' });
      expect(queued.status).toBe(202);
      const id = ((await queued.json()) as RunBody).id;
      expect(queued.headers.get('location')).toBe(`/v1/runs/${id}`);
      expect(
        await until(
          () => view(t.key, id),
          (v) => v.status === 'completed',
          'the async run',
        ),
      ).toMatchObject({ output: 'Hello! You said 2 characters.' });
    });

    it('tenant isolation: another tenant’s run is a 404 on every endpoint; a missing or revoked key is a 401', async () => {
      const a = await tenant();
      const b = await tenant();
      const id = ((await (await run(a.key, { input: 'refund A-9 250' })).json()) as RunBody).id;
      for (const [path, body] of [
        [`/v1/runs/${id}`, undefined],
        [`/v1/runs/${id}/events`, undefined],
        [`/v1/runs/${id}/approval`, { approved: true }],
        [`/v1/runs/${id}/feedback`, { rating: 5 }],
      ] as const) {
        const res = await h.request(path, { key: b.key, body });
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(await res.json()).toMatchObject({ type: 'urn:charter:problem:not-found', status: 404 });
      }
      expect((await h.request(`/v1/runs/${id}`)).status).toBe(401);
      expect((await h.request(`/v1/runs/${id}`, { key: `${a.key.slice(0, -2)}xx` })).status).toBe(401);
      expect((await h.request(`/v1/runs/${id}`, { key: 'chk_nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);
      const ok = await h.request(`/v1/runs/${id}`, { key: a.key });
      expect(ok.status).toBe(200);
      await h.service.tenants.revoke(a.id);
      await sleep(1100); // the authentication cache lasts 1 s
      const revoked = await h.request(`/v1/runs/${id}`, { key: a.key });
      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('www-authenticate')).toBe('Bearer');
      expect(await revoked.json()).toMatchObject({ type: 'urn:charter:problem:unauthorized' });
    });

    it('keys are stored hashed: the database never holds the key', async () => {
      const t = await tenant();
      const { rows } = await state.sql!.query<{ settings: unknown }>('SELECT settings FROM tenants WHERE tenant_id = $1', [t.id]);
      const stored = JSON.stringify(rows[0]?.settings);
      expect(stored).not.toContain(t.key.split('.')[1]);
      expect(stored).toMatch(/"keyHash":"[0-9a-f]{64}"/);
    });

    it('approval: a refund over 100 USD pauses; approving resumes it on a worker; the refund happens once; a second approval is 409', async () => {
      const t = await tenant();
      const res = await run(t.key, { input: 'refund A-77 250', user: 'C-1' });
      const paused = (await res.json()) as RunBody;
      expect(paused).toMatchObject({ status: 'paused', approval: { tool: 'refund_order' } });
      const approve = await h.request(`/v1/runs/${paused.id}/approval`, { key: t.key, body: { approved: true, approver: 'lead@acme' } });
      expect(approve.status).toBe(202);
      expect(
        await until(
          () => view(t.key, paused.id),
          (v) => v.status === 'completed',
          'the resumed run',
        ),
      ).toMatchObject({ output: 'Refunded.' });
      expect(readEffects(h.effects).filter((e) => e.key === 'refund:A-77')).toHaveLength(1);
      const again = await h.request(`/v1/runs/${paused.id}/approval`, { key: t.key, body: { approved: true } });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ type: 'urn:charter:problem:not-paused' });
    });

    it('a denied approval escalates the run without the refund', async () => {
      const t = await tenant();
      const paused = (await (await run(t.key, { input: 'refund A-78 300' })).json()) as RunBody;
      expect((await h.request(`/v1/runs/${paused.id}/approval`, { key: t.key, body: { approved: false, reason: 'no' } })).status).toBe(202);
      expect(
        await until(
          () => view(t.key, paused.id),
          (v) => v.status === 'escalated',
          'the denied run',
        ),
      ).toMatchObject({ reason: 'approval_denied' });
      expect(readEffects(h.effects).filter((e) => e.key === 'refund:A-78')).toHaveLength(0);
      // The human overrode the agent: recorded as feedback on the run.
      expect(await listFeedback(state, { runId: paused.id })).toEqual([
        expect.objectContaining({
          kind: 'approval-denied',
          agent: 'serve-shop',
          tenant: t.id,
          correction: { mustNotRun: ['refund_order'] },
          reason: 'no',
          by: `tenant:${t.id}`,
        }),
      ]);
    });

    it('feedback is stored with the run (rating, correction, reason, who, when); bad feedback is a problem document', async () => {
      const t = await tenant();
      const done = (await (await run(t.key, { input: 'hi' })).json()) as RunBody;
      const res = await h.request(`/v1/runs/${done.id}/feedback`, {
        key: t.key,
        body: { rating: 2, correction: { status: 'completed', answer: 'Hello back' }, reason: 'terse', by: 'ana@acme' },
      });
      expect(res.status).toBe(201);
      const stored = (await res.json()) as { id: string; at: string };
      expect(stored).toMatchObject({ runId: done.id, agent: 'serve-shop', tenant: t.id, kind: 'rating', rating: 2, by: 'ana@acme' });
      // A string correction is the expected answer; `comment` is the old name of `reason`; `by` defaults to the tenant.
      const legacy = await h.request(`/v1/runs/${done.id}/feedback`, {
        key: t.key,
        body: { rating: 1, correction: 'Say hello back.', comment: 'x' },
      });
      expect(legacy.status).toBe(201);
      const override = await h.request(`/v1/runs/${done.id}/feedback`, {
        key: t.key,
        body: { kind: 'escalation-override', correction: { status: 'escalated', reason: 'handoff' }, category: 'handoff' },
      });
      expect(override.status).toBe(201);
      expect(await listFeedback(state, { runId: done.id })).toEqual([
        expect.objectContaining({
          id: stored.id,
          at: stored.at,
          correction: { status: 'completed', answer: 'Hello back' },
          reason: 'terse',
        }),
        expect.objectContaining({ rating: 1, correction: { answer: 'Say hello back.' }, reason: 'x', by: `tenant:${t.id}` }),
        expect.objectContaining({
          kind: 'escalation-override',
          category: 'handoff',
          correction: { status: 'escalated', reason: 'handoff' },
        }),
      ]);
      for (const [body, pointer] of [
        [{ rating: 9 }, '/body/rating'],
        [{ comment: 'no rating, no correction' }, '/body'],
        [{ correction: {} }, '/body/correction'],
        [{ correction: { status: 'happy' } }, '/body/correction'],
        [{ rating: 3, extra: true }, '/body'],
      ] as const) {
        const bad = await h.request(`/v1/runs/${done.id}/feedback`, { key: t.key, body });
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(bad.headers.get('content-type')).toContain('application/problem+json');
        const problem = (await bad.json()) as { type: string; errors: { pointer: string }[] };
        expect(problem.type).toBe('urn:charter:problem:validation');
        expect(
          problem.errors.map((e) => e.pointer).some((p) => p.startsWith(pointer)),
          JSON.stringify(problem.errors),
        ).toBe(true);
      }
      expect(await listFeedback(state, { runId: done.id })).toHaveLength(3);
    });

    it('server-sent events: the run’s telemetry events, then the finished run', async () => {
      const t = await tenant();
      const queued = (await (await run(t.key, { input: 'refund A-3 40', mode: 'async' })).json()) as RunBody;
      const res = await h.request(`/v1/runs/${queued.id}/events`, { key: t.key });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text();
      const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
      expect(types.at(-1)).toBe('run');
      expect(types).toEqual(expect.arrayContaining(['run.started', 'tool.call', 'tool.result', 'run.completed']));
      const last = text.trim().split('\n').at(-1) ?? '';
      expect(JSON.parse(last.slice('data: '.length))).toMatchObject({ id: queued.id, status: 'completed' });
    });

    it('input limits answer problem documents naming the field', async () => {
      const t = await tenant();
      const problemOf = async (res: Response) => ({
        status: res.status,
        type: res.headers.get('content-type'),
        body: (await res.json()) as Record<string, unknown>,
      });
      const missing = await problemOf(await run(t.key, { prompt: 'x' }));
      expect(missing.status).toBe(400);
      expect(missing.type).toContain('application/problem+json');
      expect(missing.body).toMatchObject({ type: 'urn:charter:problem:validation' });
      expect(missing.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer: '/body/input' }), expect.objectContaining({ pointer: '/body/prompt' })]),
      );
      const wrongType = await problemOf(await run(t.key, { input: 'x', context: { customerEmail: 5 } }));
      expect(wrongType.body.detail).toContain('context/customerEmail');
      expect((await problemOf(await run(t.key, '{"input": '))).body).toMatchObject({
        type: 'urn:charter:problem:malformed-json',
        status: 400,
      });
      const deep = `{"input":"x","context":{"a":${'['.repeat(40)}${']'.repeat(40)}}}`;
      expect((await problemOf(await run(t.key, deep))).body).toMatchObject({ type: 'urn:charter:problem:json-too-deep', status: 400 });
      const big = await problemOf(await run(t.key, { input: 'x'.repeat(70_000) }));
      expect(big).toMatchObject({ status: 413, body: { type: 'urn:charter:problem:body-too-large' } });
      const long = await problemOf(await run(t.key, { input: 'x'.repeat(20_001) }));
      expect(long.body).toMatchObject({ type: 'urn:charter:problem:validation', errors: [{ pointer: '/body/input' }] });
      const media = await h.request('/v1/agents/serve-shop/runs', {
        key: t.key,
        body: 'input=x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(media.status).toBe(415);
      const other = await problemOf(await h.request('/v1/agents/other-agent/runs', { key: t.key, body: { input: 'x' } }));
      expect(other).toMatchObject({ status: 404, body: { type: 'urn:charter:problem:not-found' } });
      const headers = await rawRequest(h.base, '/healthz', { 'x-filler': 'y'.repeat(20_000) });
      expect(headers.status).toBe(431);
      expect(JSON.parse(headers.body)).toMatchObject({ type: 'urn:charter:problem:headers-too-large', status: 431 });
      const badId = await problemOf(await h.request('/v1/runs/bad%20id', { key: t.key }));
      expect(badId.body).toMatchObject({ type: 'urn:charter:problem:validation', errors: [{ pointer: '/params/id' }] });
    });

    it('quota requestsPerMinute: a burst of a tenth of the limit, then 429 with Retry-After until the bucket refills', async () => {
      const t = await tenant({ requestsPerMinute: 20 }); // bucket of 2, refilled at one request per 3 s
      expect((await run(t.key, { input: 'a' })).status).toBe(200);
      expect((await run(t.key, { input: 'b' })).status).toBe(200);
      const third = await run(t.key, { input: 'c' });
      expect(third.status).toBe(429);
      const retryAfter = Number(third.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3);
      expect(await third.json()).toMatchObject({
        type: 'urn:charter:problem:quota-exceeded',
        quota: 'requestsPerMinute',
        limit: 20,
        burst: 2,
        used: 2,
        detail: expect.stringContaining('at most 2 at once') as unknown,
      });
      // Refused again from memory before the body is read: even a body that is not JSON gets the same 429.
      const unread = await h.request('/v1/agents/serve-shop/runs', { key: t.key, body: '{not json' });
      expect(unread.status).toBe(429);
      expect(unread.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(unread.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await unread.json()).toMatchObject({
        type: 'urn:charter:problem:quota-exceeded',
        quota: 'requestsPerMinute',
        instance: '/v1/agents/serve-shop/runs',
      });
      // Another tenant's malformed body is still a 400.
      const other = await tenant({});
      expect((await h.request('/v1/agents/serve-shop/runs', { key: other.key, body: '{not json' })).status).toBe(400);
    });

    it('quota concurrentRuns: a tenant with one run in the system gets 429 for the next', async () => {
      const t = await tenant({ concurrentRuns: 1 });
      const paused = (await (await run(t.key, { input: 'refund A-4 500' })).json()) as RunBody;
      expect(paused.status).toBe('paused'); // a paused run is no longer queued or running: it does not count
      const first = await run(t.key, { input: 'x', mode: 'async' });
      expect(first.status).toBe(202);
      const second = await run(t.key, { input: 'y', mode: 'async' });
      // The first may already be finished on a fast worker: then the second is admitted too.
      if (second.status === 429) expect(await second.json()).toMatchObject({ quota: 'concurrentRuns', limit: 1 });
      else {
        expect(await view(t.key, ((await first.json()) as RunBody).id)).toMatchObject({ status: 'completed' });
      }
    });

    it('quotas tokensPerDay and costPerDayUsd are charged from the runs’ real usage', async () => {
      const t = await tenant({ tokensPerDay: 10 });
      const first = (await (await run(t.key, { input: 'count my tokens please' })).json()) as RunBody;
      expect(first.usage!.tokens).toBeGreaterThanOrEqual(10);
      const usage = await h.service.queue.usageToday(t.id);
      expect(usage.tokens).toBe(first.usage!.tokens);
      const over = await run(t.key, { input: 'again' });
      expect(over.status).toBe(429);
      expect(await over.json()).toMatchObject({ quota: 'tokensPerDay', limit: 10, used: first.usage!.tokens });
      const c = await tenant({ costPerDayUsd: 0.000001 });
      expect((await run(c.key, { input: 'hi' })).status).toBe(200);
      expect((await h.service.queue.usageToday(c.id)).runs).toBe(1);
    });

    it('/healthz, /readyz, /metrics with Charter’s metric names, and an OpenAPI 3.1 document that validates', async () => {
      expect(await (await h.request('/healthz')).json()).toEqual({ status: 'ok' });
      expect(await (await h.request('/readyz')).json()).toMatchObject({ status: 'ready' });
      const metrics = await (await h.request('/metrics')).text();
      expect(metrics).toContain('charter_agent_runs_total{agent="serve-shop",status="completed"}');
      expect(metrics).toContain('charter_serve_jobs{agent="serve-shop",state="queued"}');
      expect(metrics).toMatch(/charter_serve_rejections_total\{agent="serve-shop",reason="quota_requestsPerMinute"\} \d+/);
      const document = (await (await h.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(document.openapi).toBe('3.1.0');
      const validator = new Validator();
      const result = await validator.validate(document);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/v1/agents/{name}/runs',
          '/v1/runs/{id}',
          '/v1/runs/{id}/events',
          '/v1/runs/{id}/approval',
          '/v1/runs/{id}/feedback',
        ]),
      );
    });
  });
}

function rawRequest(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

serviceSuite('PGlite (the embedded default)', async () => ({
  state: await openState({ url: 'pglite:memory', leaseMs: 2000 }),
  drop: () => Promise.resolve(),
}));

describe.skipIf(PG_SKIP)(`PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  serviceSuite('PostgreSQL', async () => {
    const schema = freshSchema('serve');
    const state = await openState({ url: pgUrl(), schema, leaseMs: 2000 });
    return {
      state,
      drop: async () => {
        const admin = await openState({ url: pgUrl(), schema });
        await admin.sql!.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      },
    };
  });
});

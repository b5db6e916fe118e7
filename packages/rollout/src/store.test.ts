import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import { createRolloutController } from './controller.js';
import { planFromManifest } from './plan.js';
import { FileRolloutStore, MemoryRolloutStore } from './store.js';
import { checkRolloutStore } from './testing.js';

const plan = planFromManifest(referenceManifest());
const tempDir = () => mkdtempSync(join(tmpdir(), 'charter-rollout-store-'));

describe('RolloutStore contract', () => {
  it('MemoryRolloutStore keeps it', async () => {
    await checkRolloutStore(() => new MemoryRolloutStore());
  });

  it('FileRolloutStore keeps it', async () => {
    await checkRolloutStore(() => new FileRolloutStore(tempDir()));
  });

  it('the contract check catches a store that lets two writers win', async () => {
    class Careless extends MemoryRolloutStore {
      override async compareAndSwap(...args: Parameters<MemoryRolloutStore['compareAndSwap']>) {
        const [id, , next, draft] = args;
        const current = await this.load(id);
        return super.compareAndSwap(id, current?.version ?? 0, next, draft);
      }
    }
    await expect(checkRolloutStore(() => new Careless())).rejects.toThrow(/stale expected version/);
  });
});

describe('FileRolloutStore files', () => {
  it('cuts off a torn last log line (a writer killed mid-line) and rolls forward from a newer log record', async () => {
    const dir = tempDir();
    const store = new FileRolloutStore(dir);
    const controller = createRolloutController({ plan, store, gate: () => Promise.resolve({ ready: true }) });
    await controller.start({ candidate: 'v2' });
    await controller.pause();
    const paths = store.paths(plan.agent);
    // A state file one version behind (as after a crash between the log append and the rename).
    const log = readFileSync(paths.log, 'utf8').trim().split('\n');
    writeFileSync(paths.state, `${JSON.stringify((JSON.parse(log[0] ?? '') as { state: unknown }).state)}\n`);
    appendFileSync(paths.log, '{"format":"charter.rollout.transition","seq":3,"ver');
    const reopened = createRolloutController({ plan, store: new FileRolloutStore(dir), gate: () => Promise.resolve({ ready: true }) });
    expect(await reopened.load()).toMatchObject({ status: 'paused', seq: 2, version: 2 });
    const resumed = await reopened.resume();
    expect(resumed.ok && resumed.transition.seq).toBe(3);
    expect(
      readFileSync(paths.log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { seq: number }).seq),
    ).toEqual([1, 2, 3]);
  });

  it('a gap or a duplicate in the log is a ROLLOUT_BAD_STATE naming the line', async () => {
    const dir = tempDir();
    const store = new FileRolloutStore(dir);
    const controller = createRolloutController({ plan, store, gate: () => Promise.resolve({ ready: true }) });
    await controller.start({ candidate: 'v2' });
    const { log } = store.paths(plan.agent);
    appendFileSync(log, readFileSync(log, 'utf8'));
    await expect(store.load(plan.agent)).rejects.toMatchObject({
      code: 'ROLLOUT_BAD_STATE',
      message: expect.stringMatching(/:2: transition 1 follows 1/) as unknown,
    });
  });

  it('rejects ids that are not file-name safe', () => {
    expect(() => new FileRolloutStore(tempDir()).paths('../etc')).toThrow(/rollout id "\.\.\/etc"/);
  });
});

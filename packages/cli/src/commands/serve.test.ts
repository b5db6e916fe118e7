// `charter serve <agent dir>` as a user runs it: the reference agent (its serve.mjs, over its build) on
// PGlite, answering HTTP until SIGTERM, then draining and exiting 0.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cliRoot = join(import.meta.dirname, '..', '..');
const repo = join(cliRoot, '..', '..');
const referenceAgent = join(repo, 'packages', 'reference-agent');
const built = existsSync(join(referenceAgent, 'dist', 'index.js'));
if (!built)
  console.warn('charter serve test skipped: build the reference agent first (npx turbo run build --filter=@charter/reference-agent)');

describe.skipIf(!built && !process.env.CI)('charter serve', () => {
  it('serves the reference agent on the embedded default until SIGTERM, then drains and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@charter/source',
        '--import',
        'tsx',
        join(cliRoot, 'bin', 'charter.js'),
        'serve',
        referenceAgent,
        '--port',
        '0',
        '--db',
        'pglite:memory',
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out);
        });
        void exited.then((code) => {
          reject(new Error(`charter serve exited ${String(code)}: ${stderr}`));
        });
      });
      expect(line).toMatch(/^charter serve: support-desk on http:\/\/127\.0\.0\.1:\d+ \(state pglite:memory, 2 workers\)/);
      const base = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] ?? '';
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(((await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string }).openapi).toBe('3.1.0');
      const anonymous = await fetch(`${base}/v1/agents/support-desk/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'hi' }),
      });
      expect(anonymous.status).toBe(401);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('charter serve: stopped; 0 runs finished, 0 handed back to the queue');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});

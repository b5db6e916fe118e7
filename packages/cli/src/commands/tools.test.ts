import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTool, exportToolSchema } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Io } from '../command.js';
import { toolsCommand } from './tools.js';

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, isTTY: false, env: {} };
  return { value, out, err };
}

function write(dir: string, file: string, version: string, input: z.ZodType): void {
  const tool = defineTool({ name: 'refund_order', version, description: 'Refunds.', input, output: z.object({ id: z.string() }), sideEffects: 'irreversible', execute: () => ({ id: 'x' }) });
  writeFileSync(join(dir, file), JSON.stringify(exportToolSchema(tool)));
}

describe('charter tools diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'charter-tools-diff-'));
  const v1 = z.object({ orderId: z.string() });
  write(dir, 'v1.json', '1.0.0', v1);
  write(dir, 'v1.1-breaking.json', '1.1.0', v1.extend({ amount: z.number() }));
  write(dir, 'v2-breaking.json', '2.0.0', v1.extend({ amount: z.number() }));
  write(dir, 'v1.1-compatible.json', '1.1.0', v1.extend({ note: z.string().optional() }));
  writeFileSync(join(dir, 'broken.json'), '{"name": ');

  it('fails with exit 1 when a breaking change ships as a minor bump', async () => {
    const { value, out } = io(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'v1.1-breaking.json'], value)).toBe(1);
    expect(out.join('')).toMatch(/BREAKING\s+required-property-added\s+input\.amount/);
    expect(out.join('')).toContain('FAIL: refund_order 1.0.0 → 1.1.0');
  });

  it('passes a major bump for a breaking change and a minor bump for a compatible one', async () => {
    expect(await toolsCommand.run(['diff', 'v1.json', 'v2-breaking.json'], io(dir).value)).toBe(0);
    const { value, out } = io(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'v1.1-compatible.json'], value)).toBe(0);
    expect(out.join('')).toMatch(/compatible\s+property-added/);
  });

  it('prints the diff as JSON with --json', async () => {
    const { value, out } = io(dir);
    await toolsCommand.run(['diff', 'v1.json', 'v1.1-breaking.json', '--json'], value);
    expect(JSON.parse(out.join(''))).toMatchObject({ ok: false, requiredBump: 'major', actualBump: 'minor', breaking: true });
  });

  it('exits 1 with a coded message for unreadable or invalid files, 2 for bad usage', async () => {
    const missing = io(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'nope.json'], missing.value)).toBe(1);
    expect(missing.err.join('')).toContain('TOOL_SCHEMA: cannot read nope.json: ENOENT');
    const broken = io(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'broken.json'], broken.value)).toBe(1);
    expect(broken.err.join('')).toContain('broken.json is not JSON');
    const usage = io(dir);
    expect(await toolsCommand.run(['diff', 'v1.json'], usage.value)).toBe(2);
    expect(usage.err.join('')).toContain('Usage: charter tools diff');
    expect(await toolsCommand.run(['compare', 'a', 'b'], io(dir).value)).toBe(2);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTool, exportToolSchema } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT_CODES_LINE, main } from '../main.js';
import { captureIo } from '../testing.js';
import { toolsCommand } from './tools.js';

function write(dir: string, file: string, version: string, input: z.ZodType): void {
  const tool = defineTool({
    name: 'refund_order',
    version,
    description: 'Refunds.',
    input,
    output: z.object({ id: z.string() }),
    sideEffects: 'irreversible',
    execute: () => ({ id: 'x' }),
  });
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
    const io = captureIo(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'v1.1-breaking.json'], io)).toBe(1);
    expect(io.out()).toMatch(/BREAKING\s+required-property-added\s+input\.amount/);
    expect(io.out()).toContain('FAIL: refund_order 1.0.0 → 1.1.0');
  });

  it('passes a major bump for a breaking change and a minor bump for a compatible one', async () => {
    expect(await toolsCommand.run(['diff', 'v1.json', 'v2-breaking.json'], captureIo(dir))).toBe(0);
    const io = captureIo(dir);
    expect(await toolsCommand.run(['diff', 'v1.json', 'v1.1-compatible.json'], io)).toBe(0);
    expect(io.out()).toMatch(/compatible\s+property-added/);
  });

  it('prints the diff as JSON with --json, wherever the flag stands', async () => {
    for (const args of [
      ['diff', 'v1.json', 'v1.1-breaking.json', '--json'],
      ['--json', 'diff', 'v1.json', 'v1.1-breaking.json'],
    ]) {
      const io = captureIo(dir);
      expect(await main(['tools', ...args], io)).toBe(1);
      expect(JSON.parse(io.out())).toMatchObject({ ok: false, requiredBump: 'major', actualBump: 'minor', breaking: true });
    }
  });

  it('a missing file is unreadable input (exit 2, the path); content that is no export is a finding (exit 1)', async () => {
    const missing = captureIo(dir);
    expect(await main(['tools', 'diff', 'v1.json', 'nope.json'], missing)).toBe(2);
    expect(missing.err()).toBe('charter tools: no tool schema export at nope.json: check the path\n');
    const broken = captureIo(dir);
    expect(await main(['tools', 'diff', 'v1.json', 'broken.json'], broken)).toBe(1);
    expect(broken.err()).toContain('broken.json is not JSON');
  });

  it.each([
    [[], 'missing sub-command "diff" or "scan"'],
    [['compare', 'a', 'b'], 'unknown sub-command "compare" (expected "diff" or "scan")'],
    [['diff'], 'missing <old.json> and <new.json>'],
    [['diff', 'v1.json'], 'missing <new.json>'],
    [['diff', 'v1.json', 'v2-breaking.json', 'extra.json'], 'unexpected argument "extra.json"'],
  ])('usage error for %j: message and the --help hint on stderr, exit 2 (via main)', async (args, message) => {
    const io = captureIo(dir);
    expect(await main(['tools', ...args], io)).toBe(2);
    expect(io.err()).toContain(`charter tools: ${message}`);
    expect(io.err()).toContain('Run "charter tools --help" for usage.');
    expect(io.out()).toBe('');
  });

  it('an unknown flag is a usage error naming the flag, not a positional', async () => {
    const io = captureIo(dir);
    expect(await main(['tools', 'diff', 'v1.json', 'v2-breaking.json', '--jsonn'], io)).toBe(2);
    expect(io.err()).toContain('unknown option --jsonn (options: --json, --write-lock, --url, --from, --agent, --lock)');
    expect(io.err()).toContain('Run "charter tools --help"');
    expect(io.out()).toBe('');
    await expect(toolsCommand.run(['diff', 'v1.json', 'v2-breaking.json', '--json=yes'], captureIo(dir))).rejects.toMatchObject({
      code: 'CLI_USAGE',
      message: '--json takes no value',
    });
  });

  it('charter tools --help (or -h) prints the usage, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['diff', 'v1.json', '--help']]) {
      const io = captureIo(dir);
      expect(await main(['tools', ...args], io)).toBe(0);
      expect(io.out()).toBe(`${toolsCommand.usage}\n\n${EXIT_CODES_LINE}\n`);
      expect(io.out()).toContain(
        'Usage: charter tools diff <old.json> <new.json> [--json]\n       charter tools scan (-- <command> [args...] | --url <url> | --from <tools.json>)',
      );
      expect(io.err()).toBe('');
    }
  });
});

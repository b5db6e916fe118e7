// `charter new` in a real terminal (tmux): the required values still missing are asked for with
// @inquirer/prompts, each answer checked against the parameter's schema before it is taken.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'charter.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `charter-new-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });

if (!hasTmux && process.env.CI === undefined)
  console.warn('new-terminal.test.ts: tmux is not installed: the terminal test is skipped (it fails in CI)');

/** Waits until the terminal shows `pattern` (polling; gives up after 30 s with what the screen holds). */
async function screenShows(pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 30_000;
  let screen = '';
  while (Date.now() < deadline) {
    screen = tmux('capture-pane', '-p', '-t', session).stdout;
    if (pattern.test(screen)) return screen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the terminal never showed ${String(pattern)}:\n${screen}`);
}

afterAll(() => {
  if (hasTmux) tmux('kill-session', '-t', session);
});

describe.runIf(hasTmux || process.env.CI !== undefined)('charter new in a terminal', () => {
  it('asks for each missing required value, refuses an answer the schema refuses, and renders with the answers', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-new-tty-'));
    const target = join(cwd, 'policy');
    const command = `${process.execPath} ${bin} new guardrail-policy ${target} --set name=tty-policy --set 'repoUrl=github.com?owner=acme&repo=tty'; echo "exit=$?"; sleep 60`;
    expect(tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '-c', cwd, command).status).toBe(0);
    await screenShows(/\? Description/);
    tmux('send-keys', '-t', session, 'short', 'Enter');
    await screenShows(/must NOT have fewer than 10 characters/);
    tmux('send-keys', '-t', session, ' and long enough now', 'Enter');
    await screenShows(/\? Owner/);
    tmux('send-keys', '-t', session, 'platform', 'Enter');
    await screenShows(/must match \^group:/);
    tmux('send-keys', '-t', session, 'C-u', 'group:default/platform-team', 'Enter');
    const screen = await screenShows(/exit=\d+/);
    expect(screen).toContain('exit=0');
    expect(existsSync(join(target, 'policy.yaml'))).toBe(true);
    expect(parse(readFileSync(join(target, 'policy.yaml'), 'utf8'))).toMatchObject({
      metadata: { name: 'tty-policy', description: 'short and long enough now', owner: 'group:default/platform-team' },
    });
  }, 120_000);
});

// One exit path for usage errors: every command parses its flags with parseArgs and throws, and
// `main` alone turns the error into exit 2 with the message and a --help hint. A command that
// swallows CliError or prints its own usage (instead of throwing) fails here.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { commandNames, EXIT_CODES_LINE, loadCommands, main } from './main.js';
import { captureIo } from './testing.js';

const cwd = mkdtempSync(join(tmpdir(), 'charter-cli-usage-'));
const commands = await loadCommands();
const names = commands.map((command) => command.name);

describe('usage errors go through main, for every command', () => {
  it('the command list is not empty, names are unique and each module exports the command its entry names', () => {
    expect(names).toEqual(commandNames);
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(names)('charter %s --definitely-unknown exits 2, names the flag and hints at --help', async (name) => {
    const io = captureIo(cwd);
    expect(await main([name, '--definitely-unknown'], io)).toBe(2);
    expect(io.err()).toMatch(new RegExp(`^charter ${name}: unknown option --definitely-unknown\\b`));
    expect(io.err()).toContain(`Run "charter ${name} --help" for usage.`);
    expect(io.out()).toBe('');
  });

  it.each(names)('%s.run throws a CliError for an unknown flag instead of handling it', async (name) => {
    const command = commands.find((candidate) => candidate.name === name);
    const error: unknown = await command?.run(['--definitely-unknown'], captureIo(cwd)).then(
      (code) => new Error(`returned exit ${code} instead of throwing`),
      (thrown: unknown) => thrown,
    );
    expect(CliError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CLI_USAGE', message: expect.stringContaining('--definitely-unknown') as unknown });
  });

  it.each(names)('charter %s --help and -h print its usage and the exit codes, exit 0', async (name) => {
    const command = commands.find((candidate) => candidate.name === name);
    for (const flag of ['--help', '-h']) {
      const io = captureIo(cwd);
      expect(await main([name, flag], io)).toBe(0);
      expect(io.out()).toBe(`${command?.usage ?? ''}\n\n${EXIT_CODES_LINE}\n`);
      expect(io.out()).toMatch(new RegExp(`^Usage: charter ${name}\\b`));
      expect(io.err()).toBe('');
    }
  });
});

describe('main', () => {
  it('an unknown command is a usage error hinting at charter --help', async () => {
    const io = captureIo(cwd);
    expect(await main(['--definitely-unknown'], io)).toBe(2);
    expect(io.err()).toBe(
      `charter: unknown command "--definitely-unknown"; commands: ${names.join(', ')}\nRun "charter --help" for usage.\n`,
    );
  });

  it('no command prints the overview with exit 2; --help prints it with exit 0', async () => {
    const none = captureIo(cwd);
    expect(await main([], none)).toBe(2);
    expect(none.out()).toContain('Usage: charter <command> [options]');
    const help = captureIo(cwd);
    expect(await main(['--help'], help)).toBe(0);
    for (const command of commands) expect(help.out()).toContain(`  ${command.name}`);
  });
});

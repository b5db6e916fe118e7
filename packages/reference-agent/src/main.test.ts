// The reference agent's command line: --help prints the usage, an unknown flag or a stray word is a
// usage error (exit 2), and neither runs the suite. Runs main.ts as a process, from the sources.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packageRoot = join(import.meta.dirname, '..');
const tsx = join(packageRoot, '..', '..', 'node_modules', '.bin', 'tsx');
const run = (...args: string[]) =>
  spawnSync(tsx, ['--conditions=@charter/source', join(packageRoot, 'src', 'main.ts'), ...args], { cwd: packageRoot, encoding: 'utf8' });

describe('reference agent main: flags', () => {
  it('--help and -h print the usage and exit 0 without running the suite', () => {
    for (const flag of ['--help', '-h']) {
      const result = run(flag);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: node packages\/reference-agent\/dist\/main\.js \[--no-guardrails \| --provenance-only\]/);
      expect(result.stdout).toContain('--record <dir>');
      expect(result.stdout).not.toContain('pass rate');
      expect(result.stderr).toBe('');
    }
  });

  it.each([
    [['--no-guardrail'], "Unknown option '--no-guardrail'"],
    [['--scenarios'], "Option '--scenarios <value>' argument missing"],
    [['--record', '--no-guardrails'], "Option '--record' argument is ambiguous"],
    [['--record='], '--record needs a directory'],
    [['--record', 'out', '--no-guardrails'], '--record records governed runs: drop --no-guardrails'],
    [['scenarios'], "Unexpected argument 'scenarios'"],
    [['--provenance-only', '--no-guardrails'], '--provenance-only keeps governance on: drop --no-guardrails'],
  ])('%j is a usage error: the message and a --help hint, exit 2, nothing run', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^reference agent: /);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Run "node packages/reference-agent/dist/main.js --help" for usage.');
    expect(result.stderr).not.toContain('    at ');
    expect(result.stdout).toBe('');
  });
});

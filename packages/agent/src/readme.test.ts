// Every ```ts example of this package's README runs as written: each block is written to a file in
// the package folder (where the README says to run it) and executed with tsx from the sources. A
// block's `// <output>` comments after console.log name what it must print.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const packageRoot = join(import.meta.dirname, '..');
const tsx = join(packageRoot, '..', '..', 'node_modules', '.bin', 'tsx');
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
const scratch = mkdtempSync(join(packageRoot, '.readme-examples-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** What a block says it prints: the text of `console.log(...); // <expected>` comments, in order. */
function expectedOutput(code: string): string[] {
  return [...code.matchAll(/^console\.log\(.*\); \/\/ (.+)$/gm)].map((match) => match[1] ?? '');
}

describe('the README examples run as written', () => {
  it('there are examples: the quickstart, the scripted model, record and replay', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.map((code, index) => ({ index: index + 1, code })))('example $index runs and prints what it says', ({ index, code }) => {
    // In a subfolder of the package, so `@charter/*` resolve as for a file beside the README; the
    // working folder is the package, as the README says.
    const file = join(scratch, `example-${index}.ts`);
    writeFileSync(file, code.replaceAll("from './examples/", "from '../examples/"));
    const result = spawnSync(tsx, ['--conditions=@charter/source', file], { cwd: packageRoot, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = result.stdout.trimEnd().split('\n');
    const expected = expectedOutput(code);
    expect(expected.length, 'each console.log says what it prints').toBe(code.match(/^console\.log\(/gm)?.length ?? 0);
    expected.forEach((comment, line) => {
      // The comment starts with what is printed; after a colon it may explain it.
      const words = comment.split(/: /)[0] ?? '';
      expect(printed[line]).toContain(words);
    });
  });
});

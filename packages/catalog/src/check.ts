import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { GENERATED_HEADER, type CatalogIssue, type GeneratedCatalog } from './generate.js';

/** The files of the generated folder the generator no longer writes (only files it wrote: they start with its header). */
function extraFiles(catalog: GeneratedCatalog): string[] {
  if (!existsSync(catalog.outDir)) return [];
  const written = new Set(catalog.files.map((file) => file.path));
  return readdirSync(catalog.outDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(catalog.outDir, name))
    .filter((path) => !written.has(path) && readFileSync(path, 'utf8').startsWith(GENERATED_HEADER))
    .sort();
}

/** The first line on which two texts differ (1-based). */
function firstDifference(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index += 1) if (left[index] !== right[index]) return index + 1;
  return 1;
}

/**
 * Compares the generated catalog with the files on disk: a generated file that is missing or differs
 * (`stale-file`, at its first differing line), and a file the generator wrote earlier but no longer
 * writes (`extra-file`). Together with `catalog.issues` (broken sources, dangling references) this is
 * what `charter catalog --check` fails on.
 */
export function checkCatalog(catalog: GeneratedCatalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const show = (path: string) => relative(catalog.root, path) || path;
  for (const file of catalog.files) {
    if (!existsSync(file.path)) {
      issues.push({
        code: 'missing-file',
        file: file.path,
        line: 1,
        column: 1,
        message: `${show(file.path)} is not generated yet: run npx charter catalog and commit it`,
      });
      continue;
    }
    const text = readFileSync(file.path, 'utf8');
    if (text !== file.text)
      issues.push({
        code: 'stale-file',
        file: file.path,
        line: firstDifference(text, file.text),
        column: 1,
        message: `${show(file.path)} differs from what the repository generates (first at this line): run npx charter catalog and commit it; never edit it by hand`,
      });
  }
  for (const path of extraFiles(catalog))
    issues.push({
      code: 'extra-file',
      file: path,
      line: 1,
      column: 1,
      message: `${show(path)} was generated earlier but nothing makes it now: run npx charter catalog (it deletes the file)`,
    });
  return issues;
}

/** Writes the generated files (creating folders) and deletes generated files nothing makes any more. Returns the paths written. */
export function writeCatalog(catalog: GeneratedCatalog): { written: string[]; deleted: string[] } {
  const written: string[] = [];
  for (const file of catalog.files) {
    if (existsSync(file.path) && readFileSync(file.path, 'utf8') === file.text) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text);
    written.push(file.path);
  }
  const deleted = extraFiles(catalog);
  for (const path of deleted) rmSync(path);
  return { written, deleted };
}

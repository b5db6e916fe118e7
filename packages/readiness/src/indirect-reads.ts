import { dirname, join, resolve } from 'node:path';
import type { LoadedAgent } from '@charter/spec';
import type { Files } from './inputs.js';
import { tsconfigChain, type LintOptions, type LintOutcome } from './lint.js';

/** The nearest `playbooks/` folder from `dir` up to the repository root (the folder with `.git`), as `loadAgent` finds it. */
export function nearestPlaybookDir(dir: string, files: Files): string | undefined {
  let current = dir;
  for (;;) {
    const candidate = join(current, 'playbooks');
    if (files.kind(candidate) === 'directory') return candidate;
    if (files.exists(join(current, '.git'))) return undefined;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

export interface IndirectReads {
  readonly dir: string;
  readonly manifestFile: string;
  readonly loaded: LoadedAgent;
  readonly playbookDirs: readonly string[] | undefined;
  readonly lint: boolean | LintOptions | undefined;
  readonly linted: LintOutcome;
}

/**
 * What an evaluation reads through code that takes paths, not the door: `loadAgent` (@charter/spec:
 * the manifest, the policy it names, the playbook folder it looks for and the playbooks it lists) and
 * the lint cache key (the source folders, each source file, tsconfig.json and what it extends,
 * package.json). When the door records, each is read or looked up again through it, so the record
 * holds them; the completeness test (result-cache.test.ts) checks that nothing is left out. The versions
 * and code of the packages the key names are in the result cache's code fingerprint instead.
 */
export function recordIndirectReads(files: Files, reads: IndirectReads): void {
  if (!files.recording) return;
  const { dir, manifestFile, loaded } = reads;
  files.kind(manifestFile);
  files.read(manifestFile);
  const manifest = loaded.manifest;
  if (manifest !== undefined) {
    const policyFile = resolve(dir, manifest.spec.policy);
    if (files.kind(policyFile) === 'file') files.read(policyFile);
    if (manifest.spec.playbooks.length > 0) {
      const found = reads.playbookDirs === undefined ? nearestPlaybookDir(dir, files) : undefined;
      const folders = reads.playbookDirs?.map((folder) => resolve(folder)) ?? (found === undefined ? [] : [found]);
      for (const id of manifest.spec.playbooks) {
        const file = folders.map((folder) => join(folder, `${id}.md`)).find((candidate) => files.exists(candidate));
        if (file !== undefined && files.kind(file) === 'file') files.read(file);
      }
    }
  }
  if (reads.lint === false) return;
  const options = typeof reads.lint === 'object' ? reads.lint : {};
  // The source folders, walked wider than the lint walks them (it also skips dist/, fixtures, …): a
  // superset of its listings. Dot-folders and node_modules the lint never enters.
  const walk = (folder: string): void => {
    for (const entry of files.list(folder))
      if (entry.kind === 'directory' && entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(join(folder, entry.name));
  };
  for (const folder of options.sources ?? ['src']) {
    const root = join(dir, folder);
    if (files.kind(root) === 'directory') walk(root);
  }
  if (!reads.linted.ran) return;
  for (const file of reads.linted.files) files.read(join(dir, file));
  const tsconfig = join(dir, 'tsconfig.json');
  files.kind(tsconfig);
  for (const file of tsconfigChain(tsconfig)) {
    files.read(file);
    // An `extends` without `.json` is looked up as written first.
    if (file.endsWith('.json')) files.kind(file.slice(0, -'.json'.length));
  }
  const manifestPackage = join(dir, 'package.json');
  if (files.kind(manifestPackage) === 'file') files.read(manifestPackage);
}

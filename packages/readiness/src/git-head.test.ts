import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ChildProcess from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { gitHead } from './evaluate.js';

// While `headOf` runs, starting a process throws: the answers below come from the files, not from git.
const guard = vi.hoisted(() => ({ forbid: false }));
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof ChildProcess>();
  const spawnSync = ((...args: Parameters<typeof real.spawnSync>) => {
    if (guard.forbid) throw new Error('gitHead started a process');
    return real.spawnSync(...args);
  }) as typeof real.spawnSync;
  return { ...real, spawnSync };
});
const headOf = (dir: string): string | undefined => {
  guard.forbid = true;
  try {
    return gitHead(dir);
  } finally {
    guard.forbid = false;
  }
};

const work = mkdtempSync(join(tmpdir(), 'charter-git-head-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function commit(repo: string, file: string): string {
  writeFileSync(join(repo, file), file);
  git(repo, 'add', file);
  git(repo, 'commit', '-q', '-m', file);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('gitHead reads HEAD from the repository files as git does', () => {
  const repo = join(work, 'repo');
  git(work, 'init', '-q', 'repo');
  const first = commit(repo, 'a.txt');

  it('a branch with a loose ref, from the root and from a subfolder', () => {
    expect(headOf(repo)).toBe(first);
    git(repo, 'checkout', '-q', '-b', 'feature/x');
    const second = commit(repo, 'b.txt');
    expect(second).not.toBe(first);
    expect(headOf(repo)).toBe(second);
    expect(headOf(join(repo, '.'))).toBe(second);
  });

  it('refs packed into packed-refs', () => {
    git(repo, 'pack-refs', '--all');
    expect(headOf(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
  });

  it('a detached HEAD', () => {
    git(repo, 'checkout', '-q', first);
    expect(headOf(repo)).toBe(first);
  });

  it('a linked worktree (.git is a gitdir file; refs in the common folder)', () => {
    git(repo, 'checkout', '-q', 'feature/x');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', join(work, 'side'), 'main');
    const side = commit(join(work, 'side'), 'c.txt');
    expect(headOf(join(work, 'side'))).toBe(side);
    expect(headOf(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
  });

  it('this checkout, whatever its layout', () => {
    expect(headOf(import.meta.dirname)).toBe(git(import.meta.dirname, 'rev-parse', 'HEAD'));
  });

  it('outside any repository: undefined', () => {
    const outside = mkdtempSync(join(tmpdir(), 'charter-no-git-'));
    try {
      expect(gitHead(outside)).toBeUndefined();
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

// A lock file for the one-machine file stores: created with O_EXCL holding `{ pid, at }`; a lock whose
// process is gone or that is older than `staleMs` is broken. One host only (pid liveness is local).
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateError, StateErrorCode } from './errors.js';
import { delay } from './holder.js';

export interface FileLockOptions {
  readonly timeoutMs?: number;
  readonly staleMs?: number;
}

export async function withFileLock<T>(file: string, run: () => Promise<T> | T, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  let ino: number | undefined;
  mkdirSync(dirname(file), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
        ino = statSync(file).ino;
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StateError(StateErrorCode.Query, `cannot create the lock ${file}: ${(error as Error).message}`, { cause: error });
    }
    breakIfStale(file, staleMs);
    if (Date.now() >= deadline)
      throw new StateError(
        StateErrorCode.LockTimeout,
        `timed out after ${timeoutMs} ms waiting for the lock ${file}: if its process hangs, stop it or delete the file`,
      );
    await delay(wait * (0.5 + Math.random() / 2));
    wait = Math.min(wait * 2, 16);
  }
  try {
    return await run();
  } finally {
    try {
      if (statSync(file).ino === ino) unlinkSync(file);
    } catch {
      // broken as stale meanwhile: nothing of ours to remove
    }
  }
}

function breakIfStale(file: string, staleMs: number): void {
  try {
    const text = readFileSync(file, 'utf8');
    const info = statSync(file);
    let pid: number | undefined;
    let at = info.mtimeMs;
    try {
      const parsed = JSON.parse(text) as { pid?: unknown; at?: unknown };
      if (typeof parsed.pid === 'number') pid = parsed.pid;
      if (typeof parsed.at === 'number') at = parsed.at;
    } catch {
      // not written yet: judged by its mtime
    }
    const dead = pid !== undefined && pid !== process.pid && !alive(pid);
    if (dead || Date.now() - at > staleMs) {
      // Only remove the file we inspected (a fresh lock has another inode).
      if (statSync(file).ino === info.ino) unlinkSync(file);
    }
  } catch {
    // gone already
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Writes `text` to `file` atomically: temporary file, fsync, rename. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new StateError(StateErrorCode.Query, `cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Appends one line and fsyncs. */
export function appendLine(file: string, line: string): void {
  mkdirSync(dirname(file), { recursive: true });
  try {
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, `${line}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new StateError(StateErrorCode.Query, `cannot append to ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The text of `file`, or undefined when it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(StateErrorCode.Query, `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Io } from './command.js';
import { CliError, CliErrorCode } from './errors.js';

/** `path` as the user would write it: relative to the working folder when inside it, else absolute. */
export function shown(io: Pick<Io, 'cwd'>, path: string): string {
  const rel = relative(io.cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function ioError(message: string, cause?: unknown): CliError {
  return new CliError(CliErrorCode.Io, message, cause === undefined ? undefined : { cause });
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}

export interface InputOptions {
  /** Accept a folder too (default: only a file). */
  readonly folder?: boolean;
  /** Require text: a file with a NUL byte or invalid UTF-8 in its first 8 KiB is refused (default true). */
  readonly text?: boolean;
}

/**
 * Resolves an input path the user named and checks it can be read: a missing path, a folder where
 * a file is expected, an unreadable file or (by default) a binary one is a `CLI_IO` error (exit 2)
 * that names the path. `what` names the input in the message ("Agent manifest", "audit log").
 */
export function inputPath(io: Io, file: string, what: string, options: InputOptions = {}): string {
  const path = resolve(io.cwd, file);
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') throw ioError(`no ${what} at ${shown(io, path)}: check the path`);
    throw ioError(`cannot read ${shown(io, path)} (${errnoOf(error)})`, error);
  }
  if (stats.isDirectory()) {
    if (options.folder !== true) throw ioError(`${shown(io, path)} is a folder: name the ${what} file`);
    return path;
  }
  if (!stats.isFile()) throw ioError(`${shown(io, path)} is not a regular file: name the ${what} file`);
  if (options.text === false) {
    assertReadable(path, shown(io, path));
    return path;
  }
  const problem = notText(path, shown(io, path));
  if (problem !== undefined) throw ioError(`${shown(io, path)} is not a text file (${problem}): check the path`);
  return path;
}

/** Throws `CLI_IO` when the file cannot be opened for reading. */
function assertReadable(path: string, label: string): void {
  try {
    closeSync(openSync(path, 'r'));
  } catch (error) {
    throw ioError(`cannot read ${label} (${errnoOf(error)})`, error);
  }
}

const SNIFF_BYTES = 8192;

/**
 * Why the file is not text, or undefined when its first 8 KiB are NUL-free UTF-8 (a multi-byte
 * character cut at the end of the sample is allowed). Throws `CLI_IO` when the file cannot be opened.
 */
export function notText(path: string, label = path): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw ioError(`cannot read ${label} (${errnoOf(error)})`, error);
  }
  const sample = Buffer.alloc(SNIFF_BYTES);
  let length: number;
  try {
    length = readSync(fd, sample, 0, SNIFF_BYTES, 0);
  } catch (error) {
    throw ioError(`cannot read ${label} (${errnoOf(error)})`, error);
  } finally {
    closeSync(fd);
  }
  const bytes = sample.subarray(0, length);
  const nul = bytes.indexOf(0);
  if (nul !== -1) return `a NUL byte at offset ${nul}`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: length === SNIFF_BYTES });
  } catch {
    return 'not UTF-8';
  }
  return undefined;
}

/**
 * Writes `text` to `file` (relative to the working folder), creating missing parent folders one at a
 * time. Every failure is a `CLI_IO` error naming the path: a folder given as the file, a parent that is
 * a file, a folder that cannot be created (Node's recursive mkdir loops forever under /proc) or a file
 * that cannot be written.
 */
export function writeOutput(io: Io, file: string, text: string): string {
  const target = resolve(io.cwd, file);
  if (existsSync(target) && statSync(target).isDirectory())
    throw ioError(`${shown(io, target)} is a folder: name the file to write, e.g. ${shown(io, resolve(target, 'rules.yaml'))}`);
  const missing: string[] = [];
  let parent = dirname(target);
  while (!existsSync(parent)) {
    missing.unshift(parent);
    const up = dirname(parent);
    if (up === parent) break;
    parent = up;
  }
  if (existsSync(parent) && !statSync(parent).isDirectory())
    throw ioError(`cannot write ${shown(io, target)}: ${shown(io, parent)} is a file, not a folder`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw ioError(`cannot create the folder ${shown(io, folder)} (${errnoOf(error)})`, error);
    }
  }
  try {
    writeFileSync(target, text);
  } catch (error) {
    throw ioError(`cannot write ${shown(io, target)} (${errnoOf(error)})`, error);
  }
  return target;
}

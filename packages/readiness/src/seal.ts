// The caches of a check (the lint's findings, the whole result) live in the agent's folder by default —
// a folder that a change under review controls. An entry is therefore sealed: an HMAC-SHA256 of its
// bytes under a secret that stays outside the checkout (the user's cache folder, mode 0600, made on
// first use). An entry written anywhere else — committed with the change, copied from another machine
// or user, edited by hand — does not verify, and is a miss: a planted entry can never pass a check.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** Charter's folder in the user's cache: `$XDG_CACHE_HOME/charter`, else `~/.cache/charter`; undefined without a home folder. */
export function userCacheFolder(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  let base = env.XDG_CACHE_HOME;
  if (base === undefined || !isAbsolute(base)) {
    try {
      base = join(homedir(), '.cache');
    } catch {
      return undefined;
    }
  }
  return isAbsolute(base) ? join(base, 'charter') : undefined;
}

/** Where the seal's secret is kept by default: `seal.key` in `userCacheFolder()`. */
export function defaultSealKeyFile(): string | undefined {
  const folder = userCacheFolder();
  return folder === undefined ? undefined : join(folder, 'seal.key');
}

const KEY_BYTES = 32;
const keys = new Map<string, Buffer>();

/**
 * The secret in `file`, made (32 random bytes, mode 0600, created exclusively) when there is none.
 * Throws when it can be neither read nor made, or is shorter than 32 bytes: the caller then neither
 * trusts nor writes a cache entry, and says why.
 */
export function sealKey(file: string): Buffer {
  const known = keys.get(file);
  if (known !== undefined) return known;
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
    } catch (made) {
      if ((made as NodeJS.ErrnoException).code !== 'EEXIST') throw made; // another process made it first: read theirs
    }
    key = readFileSync(file);
  }
  if (key.length < KEY_BYTES)
    throw new Error(`the cache seal's key ${file} is shorter than ${KEY_BYTES} bytes: delete it to make a new one`);
  keys.set(file, key);
  return key;
}

/** The seal of `body` (hex HMAC-SHA256 under `key`). */
export const sealOf = (key: Buffer, body: string): string => createHmac('sha256', key).update(body).digest('hex');

/**
 * The key in `file` (default: `defaultSealKeyFile()`), or why there is none — the caller then neither
 * trusts nor writes a cache entry, and says so.
 */
export function openSeal(file: string | undefined): { readonly key: Buffer } | { readonly reason: string } {
  const path = file ?? defaultSealKeyFile();
  if (path === undefined) return { reason: 'no home folder for the seal key (set XDG_CACHE_HOME or pass sealKeyFile)' };
  try {
    return { key: sealKey(path) };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The body of a sealed file's text (`<seal of the body>\n<body>`) when its seal verifies under `key`;
 * undefined when it does not: truncated, altered, or written elsewhere.
 */
export function unseal(key: Buffer, text: string): string | undefined {
  const newline = text.indexOf('\n');
  const body = text.slice(newline + 1);
  return newline === 64 && sealOf(key, body) === text.slice(0, 64) ? body : undefined;
}

/** Writes `body` sealed under `key` to `file`, atomically (a temporary file renamed over it). */
export function writeSealed(file: string, key: Buffer, body: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    writeFileSync(temp, `${sealOf(key, body)}\n${body}`);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

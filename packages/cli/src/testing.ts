import type { Io } from './command.js';

/** An `Io` that records what a command writes, for tests. */
export function captureIo(cwd: string, env: Record<string, string | undefined> = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    cwd,
    isTTY: false,
    env,
    out: () => out,
    err: () => err,
  };
}

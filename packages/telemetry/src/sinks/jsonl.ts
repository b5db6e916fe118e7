import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { TelemetryError, TelemetryErrorCode } from '../errors.js';
import type { TelemetryEvent } from '../events.js';
import type { Sink } from '../telemetry.js';

export interface JsonlSinkOptions {
  /** The live file; rotated files are `<path>.1` (newest) … `<path>.<maxFiles>`. */
  readonly path: string;
  /** Characters buffered before a write to the file. Default 64 KiB. */
  readonly bufferSize?: number;
  /** Rotate before the live file would exceed this many bytes. Default: never rotate. */
  readonly maxBytes?: number;
  /** Rotated files kept (oldest deleted). Default 5. */
  readonly maxFiles?: number;
  /** Flush a partly filled buffer this often (an unref'd timer); 0 turns it off. Default 1000 ms. */
  readonly flushIntervalMs?: number;
}

export interface JsonlSink extends Sink {
  readonly path: string;
  writeJson(json: string): void;
  /** Writes the buffer now (synchronously). */
  flush(): void;
  close(): void;
  /** Number of rotations so far. */
  readonly rotations: number;
}

/**
 * One event a line, appended to a file. Lines are buffered and written with one `fs.writeSync` per
 * `bufferSize` characters, so `write` costs a `JSON.stringify` and a string append. Rotation happens
 * between buffer writes, so a line is never split across files.
 */
export function createJsonlSink(options: JsonlSinkOptions): JsonlSink {
  const { path } = options;
  const bufferSize = options.bufferSize ?? 65_536;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const maxFiles = options.maxFiles ?? 5;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) bad(`bufferSize must be a positive integer, got ${bufferSize}`);
  if (!(maxBytes > 0)) bad(`maxBytes must be positive, got ${maxBytes}`);
  if (maxBytes < bufferSize * 4)
    bad(`maxBytes (${maxBytes}) must be at least 4 × bufferSize (${bufferSize}) so rotated files hold whole buffers`);
  if (!Number.isInteger(maxFiles) || maxFiles < 1) bad(`maxFiles must be a positive integer, got ${maxFiles}`);

  let fd = open(path);
  let size = fstatSync(fd).size;
  let buffer = '';
  let closed = false;
  let rotations = 0;
  const timer = flushIntervalMs > 0 ? setInterval(flush, flushIntervalMs) : undefined;
  timer?.unref();

  function rotate(): void {
    closeSync(fd);
    const oldest = `${path}.${maxFiles}`;
    if (existsSync(oldest)) rmSync(oldest);
    for (let i = maxFiles - 1; i >= 1; i--) {
      const from = `${path}.${i}`;
      if (existsSync(from)) renameSync(from, `${path}.${i + 1}`);
    }
    renameSync(path, `${path}.1`);
    fd = open(path);
    size = 0;
    rotations++;
  }

  function flush(): void {
    if (buffer.length === 0 || closed) return;
    const text = buffer;
    buffer = '';
    const length = Buffer.byteLength(text, 'utf8');
    if (size > 0 && size + length > maxBytes) rotate();
    const written = writeSync(fd, text, null, 'utf8');
    if (written < length) {
      // A short write (rare on regular files): finish it from the encoded bytes.
      const bytes = Buffer.from(text, 'utf8');
      let offset = written;
      while (offset < length) offset += writeSync(fd, bytes, offset, length - offset);
    }
    size += length;
  }

  function writeJson(json: string): void {
    if (closed) throw new TelemetryError(TelemetryErrorCode.SinkClosed, `the JSONL sink for ${path} is closed`);
    buffer += json + '\n';
    if (buffer.length >= bufferSize) flush();
  }

  return {
    path,
    get rotations() {
      return rotations;
    },
    write(event: TelemetryEvent) {
      writeJson(JSON.stringify(event));
    },
    writeJson,
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      if (timer) clearInterval(timer);
      closeSync(fd);
    },
  };
}

function open(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (error) {
    throw new TelemetryError(TelemetryErrorCode.BadOptions, `cannot open ${path} for appending: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function bad(message: string): never {
  throw new TelemetryError(TelemetryErrorCode.BadOptions, `createJsonlSink: ${message}`);
}

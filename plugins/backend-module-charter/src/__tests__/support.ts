// Test support for the Backstage suite (not exported by the package): a static file server over
// loopback HTTP (Backstage reads `type: url` locations through its UrlReader, which resolves relative
// `$text` and annotation paths the way a real SCM does), and small helpers.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

export interface StaticServer {
  /** `http://localhost:<port>` */
  readonly origin: string;
  /** `localhost:<port>`, for `backend.reading.allow`. */
  readonly host: string;
  /** Number of requests answered, by status. */
  readonly hits: Map<number, number>;
  close(): Promise<void>;
}

/**
 * Serves each folder of `roots` under `/<prefix>/` on 127.0.0.1 (GET and HEAD only; 404 for anything
 * that is not a file inside its root).
 */
export async function serveFolders(roots: Readonly<Record<string, string>>): Promise<StaticServer> {
  const hits = new Map<number, number>();
  const server = createServer((req, res) => {
    const answer = (status: number) => {
      hits.set(status, (hits.get(status) ?? 0) + 1);
      res.statusCode = status;
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(405);
      res.end();
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const [, prefix = '', ...rest] = path.split('/');
    const root = roots[prefix];
    const file = root === undefined ? undefined : normalize(join(root, ...rest));
    if (
      root === undefined ||
      file === undefined ||
      !(file === root || file.startsWith(root + sep)) ||
      !existsSync(file) ||
      !statSync(file).isFile()
    ) {
      answer(404);
      res.end('not found');
      return;
    }
    answer(200);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    host: `localhost:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        }),
      ),
  };
}

/** Polls `probe` until it returns a value (not undefined), at most `attempts` times `intervalMs` apart; throws `message()` otherwise. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, message: () => string, attempts = 240, intervalMs = 250): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(message());
}

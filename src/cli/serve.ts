/**
 * `sparsepush serve`: the simulation page (web/, built into dist/web/) over HTTP with the headers
 * that make it cross-origin isolated, which SharedArrayBuffer (the shared arena) requires.
 * createStaticServer is also what the browser tests serve their pages with.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { packageRoot } from '../package.js';
import { parseCommandArgs, str, UsageError } from './args.js';
import type { CliIO } from './io.js';

const SERVE_HELP = `Usage: sparsepush serve [--port P] [--host H] [--dir DIR] [--no-isolation]

Serves the simulation page: pick devices, topology, algorithm, compressor, partition and model,
press start and watch the devices learn, in your browser (Web Workers over one shared memory).
Prints the URL and runs until interrupted (Ctrl-C).

The page also runs a config given in the URL and reports when it is done:
  http://127.0.0.1:8080/?config=<URL-encoded JSON config>&autostart=1

Options:
  --port P         port (default 8080; 0 picks a free one)
  --host H         address to listen on (default 127.0.0.1)
  --dir DIR        serve this built page instead of the package's dist/web
  --no-isolation   omit the cross-origin isolation headers (the page then runs on one worker)
  -h, --help       this help

Examples:
  sparsepush serve
  sparsepush serve --port 0
  npx sparsepush serve --host 0.0.0.0 --port 3000
`;

/** COOP + COEP make a page cross-origin isolated (SharedArrayBuffer); CORP lets it load our own files. */
const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A URL path prefix served from a folder (only files below that folder). */
export interface Mount {
  readonly prefix: string;
  readonly dir: string;
}

export interface StaticServerOptions {
  /** Send the cross-origin isolation headers (default true). */
  readonly isolation?: boolean;
}

/** The file a URL path maps to, or null when it is outside every mount. */
function fileFor(mounts: readonly Mount[], urlPath: string): string | null {
  for (const m of mounts) {
    if (!urlPath.startsWith(m.prefix)) continue;
    const root = resolve(m.dir);
    const file = resolve(root, `.${sep}${urlPath.slice(m.prefix.length)}`);
    if (file === root || file.startsWith(root + sep)) return file;
  }
  return null;
}

/** A static file server (GET and HEAD; `/dir/` serves `/dir/index.html`). Not listening yet. */
export function createStaticServer(mounts: readonly Mount[], opts: StaticServerOptions = {}): Server {
  const base: Record<string, string> = { ...(opts.isolation === false ? {} : ISOLATION_HEADERS), 'Cache-Control': 'no-cache' };
  return createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...base, Allow: 'GET, HEAD' }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        res.writeHead(400, base).end('bad path');
        return;
      }
      let file = fileFor(mounts, path);
      try {
        if (file && (await stat(file)).isDirectory()) file = join(file, 'index.html');
        if (!file) throw new Error('outside');
        const body = await readFile(file);
        res.writeHead(200, { ...base, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(404, { ...base, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      }
    })();
  });
}

/** Starts listening; resolves with the origin (`http://host:port`) once the port is bound. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((done, fail) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') fail(new UsageError(`port ${port} on ${host} is in use (pick another with --port, or --port 0)`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') fail(new UsageError(`cannot listen on host ${host} (${err.code})`));
      else fail(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const { port: bound } = server.address() as AddressInfo;
      done(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

/** The page built by `npm run build` (dist/web/ in the package). */
function builtPageDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

const OPTIONS = {
  port: { type: 'string' }, host: { type: 'string' }, dir: { type: 'string' },
  'no-isolation': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

function parsePort(text: string | undefined): number {
  if (text === undefined) return 8080;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port: expected an integer in 0..65535, got '${text}'`);
  return port;
}

/** Runs until SIGINT / SIGTERM (or `signal` aborts); returns the exit code. */
export async function serveCommand(argv: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  let server: Server | undefined;
  try {
    const { values } = parseCommandArgs('serve', argv, OPTIONS, false);
    if (values.help) { io.stdout(SERVE_HELP); return 0; }
    const port = parsePort(str(values.port));
    const host = str(values.host) ?? '127.0.0.1';
    const dir = resolve(str(values.dir) ?? builtPageDir());
    try {
      await stat(join(dir, 'index.html'));
    } catch {
      throw new UsageError(`no page to serve: ${join(dir, 'index.html')} is missing (build it with 'npm run build:browser')`);
    }
    const isolation = values['no-isolation'] !== true;
    server = createStaticServer([{ prefix: '/', dir }], { isolation });
    const origin = await listen(server, port, host);
    io.stdout(`sparsepush page: ${origin}/\n`);
    io.stdout(isolation ? 'cross-origin isolated (shared memory, one Web Worker per core); Ctrl-C stops\n' : 'not cross-origin isolated (--no-isolation): the page runs on one worker; Ctrl-C stops\n');
    await new Promise<void>((done) => {
      const stop = (): void => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      signal?.addEventListener('abort', stop, { once: true });
    });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`sparsepush serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    if (server?.listening) await new Promise<void>((done) => server!.close(() => done()));
  }
}

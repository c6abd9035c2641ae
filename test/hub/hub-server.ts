// A stand-in for the Hugging Face hub on 127.0.0.1 (random port), serving repository directories
// the way huggingface.co does: HEAD/GET /<repo>/resolve/<rev>/<file> with ETag and X-Repo-Commit,
// large files as a redirect to /lfs/<sha256> (X-Linked-Etag, X-Linked-Size) that honours Range,
// 404s with X-Error-Code. Knobs let tests drop or stall connections, ignore Range, leave
// requests unanswered or require a token.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const LFS_MIN = 1 << 20;

export interface HubServerOptions {
  /** repo id → directory holding its files. */
  repos: Record<string, string>;
  /** Send X-Repo-Commit (default true). */
  sendCommit?: boolean;
  /** Required Authorization header value. */
  token?: string;
  /** For the first `drops` GETs of an LFS file, close the connection after this many body bytes. */
  dropAfter?: number;
  drops?: number;
  /** For the first `stalls` GETs of an LFS file, send this many body bytes, then nothing (connection kept open). */
  stallAfter?: number;
  stalls?: number;
  /** Answer ranged GETs with the whole file (200). */
  ignoreRange?: boolean;
  /** Host (name:port) in the large files' redirect, e.g. another name for this server; default: relative. */
  lfsHost?: string;
  /** Never answer requests for /<repo>/resolve/... (a server that accepts connections and hangs). */
  hang?: boolean;
}

export interface LoggedRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

export interface HubServer {
  url: string;
  log: LoggedRequest[];
  options: HubServerOptions;
  close(): Promise<void>;
}

function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const log: LoggedRequest[] = [];
  const lfs = new Map<string, string>(); // sha256 → path
  let drops = options.drops ?? 0;
  let stalls = options.stalls ?? 0;

  function notFound(res: ServerResponse, code: string): void {
    res.writeHead(404, { 'x-error-code': code, 'content-type': 'text/plain' });
    res.end(code);
  }

  function serveLfs(req: IncomingMessage, res: ServerResponse, path: string): void {
    const data = readFileSync(path);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m && !options.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'accept-ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const body = data.subarray(start);
    if (drops > 0 && options.dropAfter !== undefined) {
      drops--;
      res.write(body.subarray(0, options.dropAfter), () => res.socket?.destroy());
      return;
    }
    if (stalls > 0 && options.stallAfter !== undefined) {
      stalls--;
      res.write(body.subarray(0, options.stallAfter));
      return;
    }
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push({ method: req.method ?? '', url: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const lfsMatch = /^\/lfs\/([0-9a-f]{64})$/.exec(url.pathname);
    if (lfsMatch && lfs.has(lfsMatch[1]!)) return serveLfs(req, res, lfs.get(lfsMatch[1]!)!);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return notFound(res, 'EntryNotFound');
    if (options.hang) return;
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo' });
      return void res.end('unauthorized');
    }
    const dir = options.repos[m[1]!];
    if (dir === undefined) return notFound(res, 'RepoNotFound');
    const path = join(dir, decodeURIComponent(m[3]!));
    if (!existsSync(path) || !statSync(path).isFile()) return notFound(res, 'EntryNotFound');
    const commitHeader: Record<string, string> = options.sendCommit === false ? {} : { 'x-repo-commit': COMMIT };
    const data = readFileSync(path);
    if (data.length >= LFS_MIN) {
      const sha = createHash('sha256').update(data).digest('hex');
      lfs.set(sha, path);
      res.writeHead(302, { location: options.lfsHost ? `http://${options.lfsHost}/lfs/${sha}` : `/lfs/${sha}`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(data.length), etag: `"${gitBlobSha1(data)}"`, ...commitHeader });
      return void res.end();
    }
    res.writeHead(200, { etag: `"${gitBlobSha1(data)}"`, 'content-length': data.length, ...commitHeader });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { gitBlobSha1 };

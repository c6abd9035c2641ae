// Talking to a Hugging Face hub server: what a file is (HEAD: commit, ETag, size, where its bytes
// are) and fetching its bytes into a `.incomplete` file that resumes with Range after a dropped
// connection or a stalled one, restarts cleanly when the server ignores Range, and is checked
// before it is used. Timeouts follow huggingface_hub (HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { FormatError, UsageError } from '../../core/errors.js';

export interface RemoteFile {
  /** The repository commit the server resolved the revision to (X-Repo-Commit), if it said. */
  commit?: string;
  /** Blob name: the LFS sha256 (X-Linked-Etag) or the git ETag, without quotes or W/. */
  etag: string;
  /** Bytes expected (X-Linked-Size or Content-Length), if known. */
  size?: number;
  /** Where to GET the bytes (after the hub's redirect to its file store). */
  url: string;
  /** The bytes are on another host (a file store's signed URL): HF_TOKEN is not sent there. */
  elsewhere: boolean;
}

/** How to talk to the server: headers for every request, and how long to wait for it. */
export interface Connection {
  headers: Record<string, string>;
  /** A HEAD unanswered after this long fails as if the server were unreachable. */
  headTimeoutMs: number;
  /** A download that receives nothing for this long counts as a dropped connection. */
  stallTimeoutMs: number;
}

const MAX_REDIRECTS = 5;
const ATTEMPTS = 5;

function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function sizeHeader(h: Headers, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = h.get(n);
    if (v !== null && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}

/**
 * HEAD of one file. Returns undefined when the server says the file is not there (404 without a
 * missing-repository code); throws a UsageError naming repo and file for every other refusal.
 */
export async function headFile(url: string, what: string, c: Connection): Promise<RemoteFile | undefined> {
  let at = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(at, { method: 'HEAD', redirect: 'manual', headers: c.headers, signal: AbortSignal.timeout(c.headTimeoutMs) });
    const h = res.headers;
    const etag = h.get('x-linked-etag') ?? h.get('etag');
    const location = h.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, at).href;
      // The hub answers a large (LFS) file with a redirect to its file store carrying the metadata;
      // a redirect without it (a renamed repository) is followed.
      if (etag) {
        const elsewhere = new URL(next).origin !== new URL(url).origin;
        return { commit: h.get('x-repo-commit') ?? undefined, etag: normalizeEtag(etag), size: sizeHeader(h, 'x-linked-size'), url: next, elsewhere };
      }
      at = next;
      continue;
    }
    if (res.ok) {
      if (!etag) throw new FormatError(at, 'ETag header', 'an ETag (is HF_ENDPOINT a Hugging Face hub?)', 'none');
      return {
        commit: h.get('x-repo-commit') ?? undefined,
        etag: normalizeEtag(etag),
        size: sizeHeader(h, 'x-linked-size', 'content-length'),
        url: at,
        elsewhere: new URL(at).origin !== new URL(url).origin,
      };
    }
    const code = h.get('x-error-code');
    if (res.status === 404 && code !== 'RepoNotFound' && code !== 'RevisionNotFound') return undefined;
    if (res.status === 401 || res.status === 403 || code === 'RepoNotFound') {
      throw new UsageError(`${what}: the hub refused access (HTTP ${res.status}${code ? `, ${code}` : ''}): check the repository name, or set HF_TOKEN for a private or gated model`);
    }
    if (code === 'RevisionNotFound') throw new UsageError(`${what}: no such revision (HTTP ${res.status})`);
    throw new UsageError(`${what}: the hub answered HTTP ${res.status} ${res.statusText}`);
  }
  throw new UsageError(`${what}: more than ${MAX_REDIRECTS} redirects`);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One GET from `offset` into `dest`; returns when the body ended (or throws when it broke off or stalled). */
async function fetchInto(file: RemoteFile, dest: string, offset: number, c: Connection, progress: (n: number) => void): Promise<void> {
  const stall = new AbortController();
  const timer = setTimeout(() => stall.abort(new Error(`no data for ${c.stallTimeoutMs / 1000} s`)), c.stallTimeoutMs);
  try {
    await fetchBody(file, dest, offset, c, stall.signal, (n) => {
      timer.refresh(); // data arrived: the connection is alive
      progress(n);
    });
  } catch (err) {
    throw stall.signal.aborted ? stall.signal.reason : err;
  } finally {
    clearTimeout(timer);
  }
}

async function fetchBody(file: RemoteFile, dest: string, offset: number, c: Connection, signal: AbortSignal, progress: (n: number) => void): Promise<void> {
  const headers = { ...c.headers };
  if (file.elsewhere) delete headers.authorization;
  if (offset > 0) headers.Range = `bytes=${offset}-`;
  const res = await fetch(file.url, { headers, signal });
  if (res.status === 416) {
    // What we hold is not a prefix the server recognises: start over.
    await res.body?.cancel();
    await rm(dest, { force: true });
    throw new Error('range not satisfiable');
  }
  if (!res.ok || !res.body) throw new UsageError(`${file.url}: HTTP ${res.status} ${res.statusText}`);
  // 206: the server resumed where we stopped; 200: it sent everything again, so restart the file.
  const resumed = res.status === 206;
  const fh = await open(dest, resumed ? 'a' : 'w');
  let received = resumed ? offset : 0;
  progress(received);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      received += chunk.length;
      progress(received);
    }
  } finally {
    await fh.close();
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads `file` into `dest` (the blob's `.incomplete` path), resuming what an earlier attempt
 * or an earlier run left there. Throws after ATTEMPTS broken attempts; the partial file is kept
 * for the next run to resume, but a file of the wrong size or hash is deleted.
 */
export async function downloadTo(file: RemoteFile, dest: string, what: string, c: Connection, onProgress?: (received: number) => void): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const have = await sizeOf(dest);
    if (file.size !== undefined && have === file.size) break;
    if (file.size !== undefined && have > file.size) await rm(dest, { force: true });
    try {
      await fetchInto(file, dest, file.size !== undefined && have > file.size ? 0 : have, c, (n) => onProgress?.(n));
      lastError = undefined;
      if (file.size === undefined || (await sizeOf(dest)) === file.size) break;
      lastError = new Error(`the connection ended after ${await sizeOf(dest)} of ${file.size} bytes`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      lastError = err;
    }
    await sleep(100 * 2 ** attempt);
  }
  if (lastError !== undefined) {
    throw new UsageError(`${what}: download failed after ${ATTEMPTS} attempts (${(lastError as Error).message}); run again to resume`);
  }
  const got = await sizeOf(dest);
  if (file.size !== undefined && got !== file.size) {
    await rm(dest, { force: true });
    throw new FormatError(what, 'size', `${file.size} bytes`, `${got}`);
  }
  if (/^[0-9a-f]{64}$/.test(file.etag)) {
    const sha = await sha256Of(dest);
    if (sha !== file.etag) {
      await rm(dest, { force: true });
      throw new FormatError(what, 'sha256', file.etag, sha);
    }
  }
}

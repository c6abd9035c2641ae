// Hub ids (`owner/name[@revision]`) → a local directory holding the checkpoint. Downloads once into
// the Hugging Face cache (shared with Python), works offline from that cache, and reads an offline
// mirror directory when HF_ENDPOINT is a path or file:// URL. Settings come from the environment:
// HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE / HF_HOME, HF_HUB_ETAG_TIMEOUT,
// HF_HUB_DOWNLOAD_TIMEOUT.
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../core/errors.js';
import { HF_FILES } from '../../core/load/model.js';
import { pathKind } from '../files.js';
import { hubCacheDir, RepoCache } from './cache.js';
import { downloadTo, headFile, type Connection, type RemoteFile } from './http.js';
import { progressBar } from './progress.js';

export interface ResolveOptions {
  /** Branch, tag or commit (default: the `@rev` of the ref, else main). */
  revision?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Called as bytes arrive; default: a progress bar on stderr when it is a terminal. */
  onProgress?: (file: string, received: number, total: number | undefined) => void;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const REPO_ID = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/;

/** The files of a checkpoint, in download order; a tokenizer.json, else vocab.json + merges.txt. */
const WEIGHTS = [HF_FILES.config, HF_FILES.safetensors];
const TOKENIZER = HF_FILES.tokenizerJson;
const BPE_FILES = [HF_FILES.vocabJson, HF_FILES.mergesTxt];
const OPTIONAL = [HF_FILES.generationConfig];

export function parseRepoRef(ref: string, revision?: string): { repo: string; revision: string } {
  const m = REPO_ID.exec(ref);
  if (!m) throw new UsageError(`${ref} is not a hub id: expected owner/name or owner/name@revision`);
  if (m[2] !== undefined && revision !== undefined && m[2] !== revision) {
    throw new UsageError(`${ref} names revision ${m[2]} but --revision says ${revision}: give one`);
  }
  return { repo: m[1]!, revision: m[2] ?? revision ?? 'main' };
}

/** A local mirror directory when HF_ENDPOINT is a path or a file:// URL, else undefined. */
function mirrorDir(endpoint: string): string | undefined {
  if (endpoint.startsWith('file:')) return fileURLToPath(endpoint);
  return /^https?:\/\//i.test(endpoint) ? undefined : resolve(endpoint);
}

export async function resolveModelRef(ref: string, options: ResolveOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const { repo, revision } = parseRepoRef(ref, options.revision);
  const endpoint = (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const mirror = mirrorDir(endpoint);
  if (mirror !== undefined) {
    // A mirror holds one version of each repository, used in place.
    if (revision !== 'main') throw new UsageError(`${repo}@${revision}: a mirror directory (HF_ENDPOINT=${endpoint}) holds one version of each repository; drop the revision`);
    const dir = join(mirror, repo);
    if ((await pathKind(join(dir, HF_FILES.config))) !== 'file') throw new UsageError(`${repo} is not in the mirror ${mirror} (HF_ENDPOINT): expected ${dir}/config.json`);
    return dir;
  }
  const cache = new RepoCache(hubCacheDir(env), repo);
  const offline = ['1', 'true', 'yes', 'on'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase());
  if (offline) {
    const dir = await cachedSnapshot(cache, revision);
    if (dir === undefined) throw new UsageError(`${repo}@${revision} is not in the cache ${cache.dir} and HF_HUB_OFFLINE is set: download it once online, or ${offlineHint(repo)}`);
    return dir;
  }
  const headers: Record<string, string> = { 'user-agent': 'tinytalk' };
  if (env.HF_TOKEN) headers.authorization = `Bearer ${env.HF_TOKEN}`;
  const connection: Connection = {
    headers,
    headTimeoutMs: seconds(env, 'HF_HUB_ETAG_TIMEOUT') * 1000,
    stallTimeoutMs: seconds(env, 'HF_HUB_DOWNLOAD_TIMEOUT') * 1000,
  };
  const download = new Download(cache, endpoint, repo, revision, connection, options.onProgress ?? progressBar());
  try {
    return await download.run();
  } catch (err) {
    const why = unreachable(err, connection);
    if (why === undefined) throw err;
    // No network: a model cached earlier still works.
    const dir = await cachedSnapshot(cache, revision);
    if (dir !== undefined) return dir;
    throw new UsageError(`cannot reach ${endpoint} (${why}) and ${repo}@${revision} is not cached in ${cache.dir}: ${offlineHint(repo)}`);
  }
}

/** A timeout setting in seconds (huggingface_hub's names), default 10. */
function seconds(env: NodeJS.ProcessEnv, name: string): number {
  const v = env[name];
  if (v === undefined || v === '') return 10;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`${name} must be a number of seconds > 0, got ${JSON.stringify(v)}`);
  return n;
}

/** Why the server could not be reached, or undefined when the error is something else. */
function unreachable(err: unknown, c: Connection): string | undefined {
  if (err instanceof TypeError && /fetch failed/.test(err.message)) return String((err.cause as Error | undefined)?.message ?? err.message);
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer in ${c.headTimeoutMs / 1000} s`;
  return undefined;
}

/** What to do without the network: an offline mirror or a local model. */
function offlineHint(repo: string): string {
  return `use an offline mirror (HF_ENDPOINT=/path/to/mirror holding ${repo}/config.json, model.safetensors, tokenizer.json) or a local model (--model <directory, .safetensors or firmware .bin>)`;
}

/** The snapshot of a revision when the cache holds a complete checkpoint for it. */
async function cachedSnapshot(cache: RepoCache, revision: string): Promise<string | undefined> {
  const commit = await cache.commitOf(revision);
  if (commit === undefined) return undefined;
  const has = (f: string): Promise<boolean> => cache.hasFile(commit, f);
  for (const f of WEIGHTS) if (!(await has(f))) return undefined;
  if (!(await has(TOKENIZER)) && !(await has(BPE_FILES[0]!) && (await has(BPE_FILES[1]!)))) return undefined;
  return cache.snapshotDir(commit);
}

/** One checkpoint's download: every file pinned to the commit the first answer names. */
class Download {
  private commit: string | undefined;

  constructor(
    private readonly cache: RepoCache,
    private readonly endpoint: string,
    private readonly repo: string,
    private readonly revision: string,
    private readonly connection: Connection,
    private readonly onProgress: NonNullable<ResolveOptions['onProgress']>,
  ) {}

  async run(): Promise<string> {
    for (const f of WEIGHTS) await this.fetch(f, true);
    if (!(await this.fetch(TOKENIZER, false))) for (const f of BPE_FILES) await this.fetch(f, true);
    for (const f of OPTIONAL) await this.fetch(f, false);
    const commit = this.commit!;
    await this.cache.writeRef(this.revision, commit);
    return this.cache.snapshotDir(commit);
  }

  private what(file: string): string {
    return `${this.repo}@${this.revision}: ${file}`;
  }

  /** Puts one file in the snapshot; false when an optional file is not in the repository. */
  private async fetch(file: string, required: boolean): Promise<boolean> {
    const rev = encodeURIComponent(this.commit ?? this.revision);
    const url = `${this.endpoint}/${this.repo}/resolve/${rev}/${file}`;
    const remote = await headFile(url, this.what(file), this.connection);
    this.commit ??= remote?.commit ?? this.revision;
    if (remote === undefined) {
      if (required) throw new UsageError(`${this.what(file)} not found on ${this.endpoint} (HTTP 404): is this a TinyTalk / GPT-Neo checkpoint?`);
      await this.cache.markMissing(this.commit, file);
      return false;
    }
    await this.ensureBlob(file, remote);
    await this.cache.link(this.commit, file, remote.etag);
    return true;
  }

  private async ensureBlob(file: string, remote: RemoteFile): Promise<void> {
    const blob = this.cache.blobPath(remote.etag);
    if ((await pathKind(blob)) === 'file') return;
    await mkdir(dirname(blob), { recursive: true });
    const partial = `${blob}.incomplete`;
    await downloadTo(remote, partial, this.what(file), this.connection, (n) => this.onProgress(file, n, remote.size));
    await rename(partial, blob);
  }
}

// resolveModelRef against a local hub server: the Hugging Face cache layout, resuming and
// restarting broken downloads, 404s and tokens, offline use, revisions and mirror directories.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hubCacheDir } from '../../src/node/hub/cache.js';
import { parseRepoRef, resolveModelRef } from '../../src/node/hub/resolve.js';
import { HF_STANDIN, SHARED } from '../helpers/shared.js';
import { COMMIT, gitBlobSha1, startHubServer, type HubServer, type HubServerOptions } from './hub-server.js';

const REPO = 'TheREZOR/TinyTalk';
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

let tmp: string;
let server: HubServer | undefined;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tinytalk-hub-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(tmp, { recursive: true, force: true });
});

async function serve(options: Partial<HubServerOptions> = {}): Promise<HubServer> {
  server = await startHubServer({ repos: { [REPO]: HF_STANDIN() }, ...options });
  return server;
}

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { HF_ENDPOINT: server?.url, HF_HUB_CACHE: join(tmp, 'cache'), ...extra };
}

const repoDir = (): string => join(tmp, 'cache', 'models--TheREZOR--TinyTalk');
const modelGets = (s: HubServer) => s.log.filter((r) => r.method === 'GET' && r.url.startsWith('/lfs/'));

describe('resolveModelRef: downloads into the Hugging Face cache', () => {
  it('lays out blobs, snapshots and refs as huggingface_hub does', async () => {
    const s = await serve();
    const dir = await resolveModelRef(REPO, { env: env() });
    expect(dir).toBe(join(repoDir(), 'snapshots', COMMIT));
    expect(readFileSync(join(repoDir(), 'refs', 'main'), 'utf8')).toBe(COMMIT);
    const st = join(HF_STANDIN(), 'model.safetensors');
    // LFS file: blob named by its sha256; small files: by their git blob sha1 (the ETag).
    expect(readlinkSync(join(dir, 'model.safetensors'))).toBe(join('..', '..', 'blobs', sha256(st)));
    const cfg = readFileSync(join(HF_STANDIN(), 'config.json'));
    expect(readlinkSync(join(dir, 'config.json'))).toBe(join('..', '..', 'blobs', gitBlobSha1(cfg)));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json']) {
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(HF_STANDIN(), f))), f).toBe(true);
    }
    // tokenizer.json was there, so vocab.json / merges.txt were not fetched.
    expect(existsSync(join(dir, 'vocab.json'))).toBe(false);
    expect(readdirSync(join(repoDir(), 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);
    expect(modelGets(s)).toHaveLength(1);
  });

  it('downloads once: a second resolve only asks for metadata', async () => {
    const s = await serve();
    await resolveModelRef(REPO, { env: env() });
    const before = s.log.filter((r) => r.method === 'GET').length;
    await resolveModelRef(REPO, { env: env() });
    expect(s.log.filter((r) => r.method === 'GET').length).toBe(before);
  });

  it('resumes a dropped download with Range', async () => {
    const s = await serve({ dropAfter: 3_000_000, drops: 2 });
    const dir = await resolveModelRef(REPO, { env: env() });
    const gets = modelGets(s);
    // Each retry asks for the rest, from what earlier attempts wrote (at most 3 MB each).
    const starts = gets.map((g) => Number(/^bytes=(\d+)-$/.exec(g.range ?? 'bytes=0-')![1]));
    expect(starts).toHaveLength(3);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(starts[2]).toBeGreaterThan(starts[1]!);
    expect(starts[2]).toBeLessThanOrEqual(6_000_000);
    expect(sha256(join(dir, 'model.safetensors'))).toBe(sha256(join(HF_STANDIN(), 'model.safetensors')));
  });

  it('resumes a stalled download after HF_HUB_DOWNLOAD_TIMEOUT without data', async () => {
    const s = await serve({ stallAfter: 2_000_000, stalls: 1 });
    const dir = await resolveModelRef(REPO, { env: env({ HF_HUB_DOWNLOAD_TIMEOUT: '0.3' }) });
    const gets = modelGets(s);
    expect(gets).toHaveLength(2);
    expect(gets[1]!.range).toBe('bytes=2000000-');
    expect(sha256(join(dir, 'model.safetensors'))).toBe(sha256(join(HF_STANDIN(), 'model.safetensors')));
  });

  it('restarts cleanly when the server ignores Range', async () => {
    const s = await serve({ dropAfter: 3_000_000, drops: 1, ignoreRange: true });
    const dir = await resolveModelRef(REPO, { env: env() });
    expect(modelGets(s)).toHaveLength(2);
    expect(sha256(join(dir, 'model.safetensors'))).toBe(sha256(join(HF_STANDIN(), 'model.safetensors')));
  });

  it('never uses a partial file: it fails, then the next run resumes it', async () => {
    const s = await serve({ dropAfter: 1_000_000, drops: 5 });
    await expect(resolveModelRef(REPO, { env: env() })).rejects.toThrow(/TheREZOR\/TinyTalk@main: model\.safetensors: download failed.*run again to resume/);
    const blobs = readdirSync(join(repoDir(), 'blobs'));
    const partial = blobs.filter((f) => f.endsWith('.incomplete'));
    expect(partial).toHaveLength(1);
    const kept = statSync(join(repoDir(), 'blobs', partial[0]!)).size;
    expect(kept).toBeGreaterThan(0);
    expect(existsSync(join(repoDir(), 'snapshots', COMMIT, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(repoDir(), 'refs', 'main'))).toBe(false);
    const n = modelGets(s).length;
    const dir = await resolveModelRef(REPO, { env: env() });
    expect(modelGets(s)[n]!.range).toBe(`bytes=${kept}-`);
    expect(sha256(join(dir, 'model.safetensors'))).toBe(sha256(join(HF_STANDIN(), 'model.safetensors')));
  });

  it('rejects a corrupt partial file by its hash and removes it', async () => {
    await serve();
    const sha = sha256(join(HF_STANDIN(), 'model.safetensors'));
    mkdirSync(join(repoDir(), 'blobs'), { recursive: true });
    writeFileSync(join(repoDir(), 'blobs', `${sha}.incomplete`), Buffer.alloc(1000, 7));
    await expect(resolveModelRef(REPO, { env: env() })).rejects.toThrow(/model\.safetensors: sha256: expected/);
    expect(existsSync(join(repoDir(), 'blobs', `${sha}.incomplete`))).toBe(false);
    expect(sha256(join(await resolveModelRef(REPO, { env: env() }), 'model.safetensors'))).toBe(sha);
  });

  it('falls back to vocab.json + merges.txt and records optional files that are absent', async () => {
    const repo = join(tmp, 'bpe-repo');
    mkdirSync(repo);
    for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) symlinkSync(join(HF_STANDIN(), f), join(repo, f));
    server = await startHubServer({ repos: { 'me/bpe': repo } });
    const dir = await resolveModelRef('me/bpe', { env: env() });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'merges.txt', 'model.safetensors', 'vocab.json']);
    const noExist = join(tmp, 'cache', 'models--me--bpe', '.no_exist', COMMIT);
    expect(readdirSync(noExist).sort()).toEqual(['generation_config.json', 'tokenizer.json']);
  });

  it('names the repository and file on a 404', async () => {
    const repo = join(tmp, 'no-weights');
    mkdirSync(repo);
    symlinkSync(join(HF_STANDIN(), 'config.json'), join(repo, 'config.json'));
    server = await startHubServer({ repos: { 'me/noweights': repo } });
    await expect(resolveModelRef('me/noweights', { env: env() })).rejects.toThrow('me/noweights@main: model.safetensors not found on');
    await expect(resolveModelRef('me/absent', { env: env() })).rejects.toThrow(/me\/absent@main: config\.json: the hub refused access \(HTTP 404, RepoNotFound\)/);
  });

  it('sends HF_TOKEN as a bearer token', async () => {
    const s = await serve({ token: 'hf_secret' });
    await expect(resolveModelRef(REPO, { env: env() })).rejects.toThrow(/HTTP 401.*HF_TOKEN/);
    await resolveModelRef(REPO, { env: env({ HF_TOKEN: 'hf_secret' }) });
    expect(s.log.at(-1)!.authorization).toBe('Bearer hf_secret');
  });

  it('does not send HF_TOKEN to a file store on another host', async () => {
    const s = await serve({ token: 'hf_secret' });
    s.options.lfsHost = `localhost:${new URL(s.url).port}`;
    const dir = await resolveModelRef(REPO, { env: env({ HF_TOKEN: 'hf_secret' }) });
    const lfs = modelGets(s);
    expect(lfs).toHaveLength(1);
    expect(lfs[0]!.authorization).toBeUndefined();
    expect(s.log.filter((r) => r.url.includes('/resolve/')).every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(sha256(join(dir, 'model.safetensors'))).toBe(sha256(join(HF_STANDIN(), 'model.safetensors')));
  });

  it('fetches a revision and records its ref; without X-Repo-Commit the revision names the snapshot', async () => {
    const s = await serve({ sendCommit: false });
    const dir = await resolveModelRef(`${REPO}@v1.0`, { env: env() });
    expect(dir).toBe(join(repoDir(), 'snapshots', 'v1.0'));
    expect(s.log.every((r) => !r.url.includes('/resolve/') || r.url.includes('/resolve/v1.0/'))).toBe(true);
    await expect(resolveModelRef(`${REPO}@v1.0`, { revision: 'main', env: env() })).rejects.toThrow(/revision v1.0 but --revision says main/);
  });
});

describe('resolveModelRef: offline', () => {
  it('uses the cache with HF_HUB_OFFLINE=1 or when the server cannot be reached', async () => {
    await serve();
    const dir = await resolveModelRef(REPO, { env: env() });
    const url = server!.url;
    await server!.close();
    server = undefined;
    expect(await resolveModelRef(REPO, { env: env({ HF_ENDPOINT: url, HF_HUB_OFFLINE: '1' }) })).toBe(dir);
    expect(await resolveModelRef(REPO, { env: env({ HF_ENDPOINT: url }) })).toBe(dir);
    expect(await resolveModelRef(`${REPO}@${COMMIT}`, { env: env({ HF_ENDPOINT: url, HF_HUB_OFFLINE: '1' }) })).toBe(dir);
  });

  it('uses a snapshot that huggingface_hub downloaded (hand-made layout, as Python writes it)', async () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const snap = join(repoDir(), 'snapshots', commit);
    mkdirSync(join(repoDir(), 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(repoDir(), 'refs'));
    writeFileSync(join(repoDir(), 'refs', 'main'), commit); // Python writes the commit without a newline
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      const blob = f === 'model.safetensors' ? sha256(join(HF_STANDIN(), f)) : gitBlobSha1(readFileSync(join(HF_STANDIN(), f)));
      symlinkSync(join(HF_STANDIN(), f), join(repoDir(), 'blobs', blob));
      symlinkSync(join('..', '..', 'blobs', blob), join(snap, f));
    }
    expect(await resolveModelRef(REPO, { env: env({ HF_HUB_OFFLINE: '1' }) })).toBe(snap);
    expect(await resolveModelRef(REPO, { env: env({ HF_ENDPOINT: 'http://127.0.0.1:9' }) })).toBe(snap);
    // Without tokenizer.json (and no vocab.json + merges.txt) the snapshot is not a checkpoint yet.
    rmSync(join(snap, 'tokenizer.json'));
    await expect(resolveModelRef(REPO, { env: env({ HF_HUB_OFFLINE: '1' }) })).rejects.toThrow(/not in the cache/);
  });

  it('says what is missing when offline without a cached copy', async () => {
    await expect(resolveModelRef(REPO, { env: env({ HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_OFFLINE: '1' }) })).rejects.toThrow(/not in the cache .* HF_HUB_OFFLINE is set/);
    await expect(resolveModelRef(REPO, { env: env({ HF_ENDPOINT: 'http://127.0.0.1:9' }) })).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9 .* not cached/);
  });

  it('points to an offline mirror or a local model when it cannot get the model', async () => {
    const hint = /use an offline mirror \(HF_ENDPOINT=\/path\/to\/mirror holding TheREZOR\/TinyTalk\/config\.json.*\) or a local model \(--model /;
    await expect(resolveModelRef(REPO, { env: env({ HF_ENDPOINT: 'http://127.0.0.1:9' }) })).rejects.toThrow(hint);
    await expect(resolveModelRef(REPO, { env: env({ HF_HUB_OFFLINE: '1' }) })).rejects.toThrow(hint);
  });

  it('treats a server that does not answer within HF_HUB_ETAG_TIMEOUT as unreachable', async () => {
    await serve();
    const dir = await resolveModelRef(REPO, { env: env() });
    server!.options.hang = true;
    expect(await resolveModelRef(REPO, { env: env({ HF_HUB_ETAG_TIMEOUT: '0.2' }) })).toBe(dir);
    const empty = join(tmp, 'empty-cache');
    await expect(resolveModelRef(REPO, { env: env({ HF_HUB_ETAG_TIMEOUT: '0.2', HF_HUB_CACHE: empty }) })).rejects.toThrow(/cannot reach http:.* \(no answer in 0\.2 s\) and TheREZOR\/TinyTalk@main is not cached/);
    await expect(resolveModelRef(REPO, { env: env({ HF_HUB_ETAG_TIMEOUT: 'soon' }) })).rejects.toThrow(/HF_HUB_ETAG_TIMEOUT must be a number of seconds/);
  });
});

describe('mirror directories and settings', () => {
  it('reads a mirror directory (path or file:// URL) in place', async () => {
    const hub = join(SHARED, 'hub');
    expect(await resolveModelRef(REPO, { env: { HF_ENDPOINT: hub } })).toBe(HF_STANDIN());
    expect(await resolveModelRef(REPO, { env: { HF_ENDPOINT: pathToFileURL(hub).href } })).toBe(HF_STANDIN());
    await expect(resolveModelRef('me/absent', { env: { HF_ENDPOINT: hub } })).rejects.toThrow(/me\/absent is not in the mirror/);
    await expect(resolveModelRef(`${REPO}@v2`, { env: { HF_ENDPOINT: hub } })).rejects.toThrow(/TheREZOR\/TinyTalk@v2: a mirror directory .* holds one version/);
  });

  it('finds the cache where huggingface_hub does', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' })).toBe('/c');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe(join('/h', 'hub'));
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'huggingface', 'hub'));
  });

  it('parses hub ids', () => {
    expect(parseRepoRef('TheREZOR/TinyTalk')).toEqual({ repo: REPO, revision: 'main' });
    expect(parseRepoRef('TheREZOR/TinyTalk@refs/pr/1')).toEqual({ repo: REPO, revision: 'refs/pr/1' });
    expect(parseRepoRef('TheREZOR/TinyTalk', 'dev')).toEqual({ repo: REPO, revision: 'dev' });
    expect(() => parseRepoRef('not a repo')).toThrow(/owner\/name/);
  });
});

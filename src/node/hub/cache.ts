// The Hugging Face hub cache layout, shared with Python's huggingface_hub:
//   <cache>/models--owner--name/blobs/<etag>                file contents, named by ETag / sha256
//   <cache>/models--owner--name/snapshots/<commit>/<file>   relative symlinks to ../../blobs/<etag>
//   <cache>/models--owner--name/refs/<revision>             the commit a branch or tag points to
//   <cache>/models--owner--name/.no_exist/<commit>/<file>   empty marker: the file is not in the repo
import { copyFile, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathKind, writeFileAtomic } from '../files.js';

/** HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

const COMMIT = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/** One repository's folder in the cache. */
export class RepoCache {
  readonly dir: string;

  constructor(cacheDir: string, readonly repo: string) {
    this.dir = join(cacheDir, `models--${repo.replace('/', '--')}`);
  }

  blobPath(etag: string): string {
    return join(this.dir, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', commit);
  }

  /** The commit a revision names: itself when it is a commit hash, else what refs/<revision> holds. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    try {
      return (await readFile(join(this.dir, 'refs', revision), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = join(this.dir, 'refs', revision);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, commit);
  }

  async hasFile(commit: string, file: string): Promise<boolean> {
    return (await pathKind(join(this.snapshotDir(commit), file))) === 'file';
  }

  async isMissing(commit: string, file: string): Promise<boolean> {
    return (await pathKind(join(this.dir, '.no_exist', commit, file))) === 'file';
  }

  async markMissing(commit: string, file: string): Promise<void> {
    const path = join(this.dir, '.no_exist', commit, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, '');
  }

  /** Points snapshots/<commit>/<file> at blobs/<etag> (a copy where symlinks are not allowed). */
  async link(commit: string, file: string, etag: string): Promise<void> {
    const path = join(this.snapshotDir(commit), file);
    const blob = this.blobPath(etag);
    await mkdir(dirname(path), { recursive: true });
    await rm(path, { force: true });
    try {
      await symlink(relative(dirname(path), blob), path);
    } catch {
      await copyFile(blob, path);
    }
  }
}

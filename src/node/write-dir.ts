// Writes a whole directory of files (a Hugging Face checkpoint, an ONNX folder) so that readers see the old
// directory or the complete new one, never a half-written mix: the files go into a temporary
// sibling directory, which is then renamed into place.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { pathKind, writeFileAtomic } from './files.js';

export interface WriteDirOptions {
  /** Replace an existing directory (default: refuse). */
  replace?: boolean;
}

export async function writeDirectoryAtomic(dir: string, files: ReadonlyMap<string, Uint8Array | string>, options: WriteDirOptions = {}): Promise<void> {
  const existing = await pathKind(dir);
  if (existing === 'file') throw new UsageError(`${dir} is a file; give a directory to write into`);
  if (existing === 'dir' && !options.replace) throw new UsageError(`${dir} already exists (use --force to replace it)`);
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(dir)}.${tag}.tmp`);
  const old = join(parent, `.${basename(dir)}.${tag}.old`);
  try {
    await mkdir(tmp);
    for (const [name, data] of files) {
      await mkdir(dirname(join(tmp, name)), { recursive: true }); // names may hold subdirectories (onnx/model.onnx)
      await writeFileAtomic(join(tmp, name), data);
    }
    if (existing === 'dir') await rename(dir, old);
    await rename(tmp, dir);
  } catch (err) {
    if ((await pathKind(old)) === 'dir' && (await pathKind(dir)) === undefined) await rename(old, dir); // put the old one back
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}

// File access for Node: whole-file reads as Uint8Array, the first bytes of a file (to recognise
// its format), and atomic writes (temp file in the same directory, fsync, rename) so a crash
// never leaves a half-written checkpoint or export behind.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { utf8Text } from '../core/bytes/json.js';

export async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A UTF-8 text file; invalid bytes are a FormatError naming it, never silently replaced. */
export async function readText(path: string): Promise<string> {
  return utf8Text(await readBytes(path), path);
}

/** Up to n bytes from the start of a file. */
export async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const out = new Uint8Array(n);
    const { bytesRead } = await fh.read(out, 0, n, 0);
    return out.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** 'file', 'dir', or undefined when nothing is there. */
export async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces `path` with `data` all at once: readers see the old file or the new one, never a mix. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

/** Makes the rename itself durable; some platforms cannot open a directory, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  }
}

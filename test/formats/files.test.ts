// writeFileAtomic: the new content appears all at once, and a failed write leaves nothing behind.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { readHead, readText, writeFileAtomic } from '../../src/node/files.js';
import { scratchDir } from './util.js';

describe('writeFileAtomic', () => {
  const dir = scratchDir();

  it('writes bytes and text, replacing what was there, with no temp file left', async () => {
    const path = join(dir, 'ckpt.safetensors');
    writeFileSync(path, 'old contents');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'héllo');
    expect(readFileSync(path, 'utf8')).toBe('héllo');
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x.bin'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('cleans up its temp file when the rename fails', async () => {
    // Renaming a file onto a non-empty directory fails after the temp file was written.
    const target = join(dir, 'occupied');
    mkdirSync(join(target, 'inner'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['ckpt.safetensors', 'occupied']);
  });

  it('reads the first bytes of a file', async () => {
    const path = join(dir, 'ckpt.safetensors');
    await writeFileAtomic(path, 'CRDP and more');
    expect(new TextDecoder().decode(await readHead(path, 4))).toBe('CRDP');
    expect((await readHead(path, 100)).length).toBe(13);
  });

  it('reads UTF-8 text strictly: invalid bytes are a FormatError naming the file', async () => {
    const good = join(dir, 'config.json');
    writeFileSync(good, Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"a": "é"}')])); // with a byte-order mark
    expect(JSON.parse(await readText(good))).toEqual({ a: 'é' });
    const bad = join(dir, 'latin1.json');
    writeFileSync(bad, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d])); // {"é"} in Latin-1
    const err = await readText(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toBe(`${bad}: text: expected valid UTF-8`);
  });
});

// Helpers for the formats tests: real files as bytes, scratch directories, an independent Q4 decoder.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

/** A fresh directory removed when the test file finishes. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinytalk-formats-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * firmware-format.md §1.4 written out independently of src/: `blocks` 18-byte Q4_0 blocks from
 * `offset` → float32 weights, w = bf16(scale) × (code − 8), low nibbles first.
 */
export function decodeQ4Blocks(bytes: Uint8Array, offset: number, blocks: number): Float32Array {
  const out = new Float32Array(blocks * 32);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = new DataView(new ArrayBuffer(4));
  for (let b = 0; b < blocks; b++) {
    const o = offset + 18 * b;
    f.setUint32(0, view.getUint16(o, true) << 16);
    const d = f.getFloat32(0);
    for (let k = 0; k < 16; k++) {
      const byte = bytes[o + 2 + k]!;
      out[32 * b + k] = d * ((byte & 15) - 8);
      out[32 * b + 16 + k] = d * ((byte >> 4) - 8);
    }
  }
  return out;
}

/** Float32 values equal bit for bit (so -0 ≠ +0 and NaN = NaN). */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

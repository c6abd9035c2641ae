// The stored zip writer, read back by an independent reader (fflate's unzipSync) and its CRC-32
// fields checked against Node's zlib.crc32.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, writeZip } from '../../src/core/formats/zip.js';
import { lcg } from '../helpers/random.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

function randomBytes(n: number, seed: number): Uint8Array {
  const next = lcg(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** The CRC-32 field of each central-directory entry, by name (APPNOTE 4.3.12: the field at +16, the name at +46). */
function centralCrcs(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  expect(view.getUint32(end, true)).toBe(0x06054b50);
  let at = view.getUint32(end + 16, true);
  const out = new Map<string, number>();
  for (let i = 0; i < view.getUint16(end + 10, true); i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    const nameLength = view.getUint16(at + 28, true);
    out.set(new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength)), view.getUint32(at + 16, true));
    at += 46 + nameLength;
  }
  return out;
}

describe('stored zip archives', () => {
  const files = new Map<string, Uint8Array>([
    ['tinytalk-hf/config.json', utf8('{"model_type": "gpt_neo"}\n')],
    ['tinytalk-hf/model.safetensors', randomBytes(100_003, 7)],
    ['tinytalk-hf/empty.txt', new Uint8Array(0)],
    ['tinytalk-hf/späße ✓.txt', utf8('names are UTF-8')],
  ]);
  const zip = writeZip(files);

  it('reads back with every name and byte', () => {
    const back = unzipSync(zip);
    expect(Object.keys(back)).toEqual([...files.keys()]);
    for (const [name, bytes] of files) expect(Buffer.from(back[name]!).equals(Buffer.from(bytes)), name).toBe(true);
  });

  it('stores each file\'s CRC-32 as zlib computes it', () => {
    for (const [name, bytes] of files) expect(centralCrcs(zip).get(name), name).toBe(zlibCrc32(bytes));
    for (const n of [0, 1, 31, 1000]) expect(crc32(randomBytes(n, n))).toBe(zlibCrc32(randomBytes(n, n)));
  });

  it('stores without compression and is the same bytes every time', () => {
    const payload = [...files.values()].reduce((n, b) => n + b.length, 0);
    const names = [...files.keys()].reduce((n, k) => n + utf8(k).length, 0);
    expect(zip.length).toBe(payload + files.size * (30 + 46) + 2 * names + 22);
    expect(Buffer.from(writeZip(files)).equals(Buffer.from(zip))).toBe(true);
  });

  it('writes an empty archive as the end record alone', () => {
    const empty = writeZip(new Map());
    expect(empty.length).toBe(22);
    expect(unzipSync(empty)).toEqual({});
  });
});

// Damaged copies of the real files, loaded through loadModel: each gets a FormatError naming the
// file, the field and what was expected — never a crash, a hang or a huge allocation.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { readCrdp } from '../../src/core/formats/crdp.js';
import { loadModel } from '../../src/node/load.js';
import { HF_STANDIN, V2_MODEL, V2_TOKENIZER, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';
import { bytesOf, scratchDir } from './util.js';

const tmp = scratchDir();
let serial = 0;

async function loadError(path: string): Promise<FormatError> {
  let err: unknown;
  try {
    await loadModel(path);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

describe('firmware blobs', () => {
  const v2 = bytesOf(V2_MODEL());

  /** A copy of the v2 blob (changed by `edit`) with the real tokenizer beside it. */
  function blob(edit: (b: Uint8Array, view: DataView) => Uint8Array | void, tokenizer = V2_TOKENIZER()): string {
    const dir = join(tmp, `blob${serial++}`);
    mkdirSync(dir);
    const bytes = v2.slice();
    const out = edit(bytes, new DataView(bytes.buffer)) ?? bytes;
    writeFileSync(join(dir, 'model.bin'), out);
    copyFileSync(tokenizer, join(dir, 'tok.bin'));
    return join(dir, 'model.bin');
  }

  it.each<[string, (b: Uint8Array, v: DataView) => Uint8Array | void, string, RegExp]>([
    ['truncated in the weights', (b) => b.subarray(0, 1_000_000), 'size', /expected at least 2067224 bytes .* found 1000000 bytes/],
    ['truncated in the header', (b) => b.subarray(0, 40), 'header', /64-byte CRDP header/],
    ['version 1 (LLaMA)', (_, v) => v.setUint32(4, 1, true), 'version', /version 1 \(LLaMA\) is not supported/],
    ['an unknown version', (_, v) => v.setUint32(4, 9, true), 'version', /expected 2 or 3, found 9/],
    ['another quantization', (b) => void (b[37] = 3), 'quant_type', /expected 4 \(Q4_0\), found 3/],
    ['a LLaMA arch byte', (b) => void (b[38] = 1), 'arch', /expected 2 \(GPT-Neo\), found 1/],
    ['vocab 2^31', (_, v) => v.setUint32(28, 2 ** 31, true), 'vocab_size', /a positive integer/],
    ['vocab 2^30 (absurd, larger than the file)', (_, v) => v.setUint32(28, 2 ** 30, true), 'size', /at least \d+ bytes/],
    ['2^20 layers', (_, v) => v.setUint32(16, 2 ** 20, true), 'size', /at least \d+ bytes/],
    ['zero layers', (_, v) => v.setUint32(16, 0, true), 'n_layers', /a positive integer, found 0/],
    ['dim not a multiple of 32', (_, v) => v.setUint32(8, 100, true), 'dim', /a multiple of 32/],
    ['hidden_dim not a multiple of 32', (_, v) => v.setUint32(12, 500, true), 'hidden_dim', /a multiple of 32/],
    ['heads not dividing dim', (_, v) => v.setUint32(20, 3, true), 'n_heads', /a divisor of dim 128/],
    ['n_kv_heads ≠ n_heads', (_, v) => { v.setUint32(24, 8, true); }, 'n_kv_heads', /n_heads \(16\)/],
  ])('%s', async (_, edit, field, message) => {
    const path = blob(edit);
    const err = await loadError(path);
    expect(err.file).toBe(path);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('a wrong magic (loadModel does not recognise the file; readCrdp names the magic)', async () => {
    const path = blob((b) => void b.set([0x41, 0x42, 0x43, 0x44])); // "ABCD"
    expect((await loadError(path)).message).toMatch(`${path}: format: expected a firmware model blob (magic "CRDP")`);
    const bytes = v2.slice();
    bytes[3] = 0x51;
    expect(() => readCrdp(bytes, 'x.bin')).toThrow('x.bin: magic: expected "CRDP" (a firmware model blob), found "CRDQ"');
  });

  it('an empty file', async () => {
    expect((await loadError(blob((b) => b.subarray(0, 0)))).field).toBe('format');
  });

  it('a v3 blob one byte short', async () => {
    const dir = join(tmp, 'v3short');
    mkdirSync(dir);
    const v3 = bytesOf(V3_MODEL());
    writeFileSync(join(dir, 'TINYTLK.BIN'), v3.subarray(0, v3.length - 1));
    copyFileSync(V3_TOKENIZER(), join(dir, 'TINYTLK.TOK'));
    const err = await loadError(join(dir, 'TINYTLK.BIN'));
    expect(err.message).toMatch(/size: expected at least 1998240 bytes/);
  });

  it('a truncated tokenizer blob', async () => {
    const dir = join(tmp, 'tokshort');
    mkdirSync(dir);
    copyFileSync(V2_MODEL(), join(dir, 'model.bin'));
    writeFileSync(join(dir, 'tok.bin'), bytesOf(V2_TOKENIZER()).subarray(0, 100_000));
    const err = await loadError(join(dir, 'model.bin'));
    expect(err.file).toBe(join(dir, 'tok.bin'));
  });

  it('tolerates trailing bytes, as the firmware does', async () => {
    const path = blob((b) => {
      const longer = new Uint8Array(b.length + 100);
      longer.set(b);
      return longer;
    });
    expect((await loadModel(path)).config.vocabSize).toBe(14019);
  });
});

describe('Hugging Face checkpoints', () => {
  const s = HF_STANDIN();
  const st = bytesOf(join(s, 'model.safetensors'));
  const headerLength = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(st.subarray(8, 8 + headerLength)));
  const data = st.subarray(8 + headerLength);

  /** The stand-in with its files changed: config edits, a rewritten safetensors header, or raw bytes. */
  function checkpoint(change: { config?: string; header?: (h: any) => void; bytes?: Uint8Array; tokenizer?: string }): string {
    const dir = join(tmp, `hf${serial++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), change.config ?? bytesOf(join(s, 'config.json')));
    writeFileSync(join(dir, 'tokenizer.json'), change.tokenizer ?? bytesOf(join(s, 'tokenizer.json')));
    let bytes = change.bytes ?? st;
    if (change.header) {
      const h = structuredClone(header);
      change.header(h);
      const json = new TextEncoder().encode(JSON.stringify(h));
      const n = Math.ceil(json.length / 8) * 8;
      bytes = new Uint8Array(8 + n + data.length).fill(0x20, 8, 8 + n);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(n), true);
      bytes.set(json, 8);
      bytes.set(data, 8 + n);
    }
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    return dir;
  }
  const config = JSON.parse(new TextDecoder().decode(bytesOf(join(s, 'config.json'))));
  const wte = 'transformer.wte.weight';

  it.each<[string, Parameters<typeof checkpoint>[0], string, string, RegExp]>([
    ['bad JSON in config.json', { config: '{"vocab_size": 14019,,}' }, 'config.json', 'JSON', /expected valid JSON/],
    ['a config that does not match the weights', { config: JSON.stringify({ ...config, hidden_size: 64 }) }, 'model.safetensors', `tensor "${wte}" shape`, /expected \[14019, 64\] \(from config.json\), found \[14019, 128\]/],
    ['a truncated weights file', { bytes: st.subarray(0, st.length - 1000) }, 'model.safetensors', `tensor "${wte}" data_offsets`, /an end within the/],
    ['a header length beyond the file', { bytes: (() => { const b = st.slice(); new DataView(b.buffer).setUint32(0, st.length, true); return b; })() }, 'model.safetensors', 'header length', /at most/],
    ['a file shorter than its length field', { bytes: st.subarray(0, 6) }, 'model.safetensors', 'header length', /an 8-byte header length/],
    ['overlapping tensors', { header: (h) => (h['transformer.wpe.weight'].data_offsets = [h[wte].data_offsets[0], h[wte].data_offsets[0] + 131072]) }, 'model.safetensors', 'tensor "transformer.wte.weight" data_offsets', /no overlap with tensor "transformer.wpe.weight"/],
    ['offsets out of bounds', { header: (h) => (h['transformer.ln_f.bias'].data_offsets = [data.length, data.length + 512]) }, 'model.safetensors', 'tensor "transformer.ln_f.bias" data_offsets', /within the \d+ data bytes/],
    ['shape × dtype ≠ byte range', { header: (h) => (h['transformer.ln_f.bias'].shape = [127]) }, 'model.safetensors', 'tensor "transformer.ln_f.bias" data_offsets', /expected 508 bytes \(shape \[127\] × F32\), found 512 bytes/],
    ['an unsupported dtype', { header: (h) => (h['transformer.ln_f.bias'].dtype = 'I32') }, 'model.safetensors', 'tensor "transformer.ln_f.bias" dtype', /F32, F16 or BF16/],
    ['a missing tensor', { header: (h) => delete h['transformer.h.3.mlp.c_fc.bias'] }, 'model.safetensors', 'tensor "transformer.h.3.mlp.c_fc.bias"', /missing/],
    ['a header that is not JSON', { bytes: (() => { const b = st.slice(); b[9] = 0x7d; return b; })() }, 'model.safetensors', 'JSON', /valid JSON/],
  ])('%s', async (_, change, file, field, message) => {
    const dir = checkpoint(change);
    const err = await loadError(dir);
    expect(err.file).toBe(join(dir, file));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('ignores tensors it does not read, even of other dtypes (old attention-mask buffers)', async () => {
    // An (empty) BOOL buffer: a valid layout, never read.
    const dir = checkpoint({ header: (h) => (h['transformer.h.0.attn.attention.bias'] = { dtype: 'BOOL', shape: [0], data_offsets: [0, 0] }) });
    expect((await loadModel(dir)).tensors.some((t) => t.type === 'BOOL')).toBe(true);
  });

  it('a broken tokenizer.json', async () => {
    const dir = checkpoint({ tokenizer: '{"model": ' });
    expect((await loadError(dir)).file).toBe(join(dir, 'tokenizer.json'));
  });

  it('a missing config.json beside a .safetensors file', async () => {
    const dir = join(tmp, 'noconfig');
    mkdirSync(dir);
    copyFileSync(join(s, 'model.safetensors'), join(dir, 'weights.safetensors'));
    const err = await loadError(join(dir, 'weights.safetensors'));
    expect(err.message).toBe(`${join(dir, 'config.json')}: file: expected config.json beside the weights, found missing`);
  });
});

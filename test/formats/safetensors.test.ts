// safetensors: reading the stand-in checkpoint, writing in Hugging Face's layout, and refusing
// every kind of malformed header with a FormatError that names the field.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { f32ToBf16, f32ToF16 } from '../../src/core/bytes/halfs.js';
import { parseSafetensors, tensorFloat32, tensorMatrix, writeSafetensors, type SafetensorsDtype } from '../../src/core/formats/safetensors.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { bytesOf } from './util.js';

const STANDIN = () => join(HF_STANDIN(), 'model.safetensors');

/** A safetensors file from a header object and data bytes, laid out by hand (not by our writer). */
function handMade(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('reading', () => {
  const bytes = bytesOf(STANDIN());
  const st = parseSafetensors(bytes, STANDIN());

  it('reads the stand-in header', () => {
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.dataStart).toBe(8 + 11008);
    expect(st.tensors.size).toBe(8 * 13 + 4);
    const wte = st.tensors.get('transformer.wte.weight')!;
    expect(wte.dtype).toBe('F32');
    expect(wte.shape).toEqual([14019, 128]);
    expect(wte.data.byteOffset - bytes.byteOffset).toBe(8 + 11008 + 6464512);
    expect(wte.data.byteLength).toBe(13642240 - 6464512);
  });

  it('gives zero-copy float32 views when aligned', () => {
    const wpe = tensorFloat32(st.tensors.get('transformer.wpe.weight')!);
    expect(wpe.buffer).toBe(bytes.buffer);
    const m = tensorMatrix(st.tensors.get('transformer.h.0.mlp.c_fc.weight')!);
    expect(m).toMatchObject({ type: 'f32', rows: 512, cols: 128 });
    expect(m.type === 'f32' && m.data.buffer === bytes.buffer).toBe(true);
    // Independent read of the same float: wpe row 0, column 0 of firmware-format.md §1.3.
    expect(wpe[0]).toBe(Math.fround(-0.0028400058));
  });

  it('copies when the file is not aligned', () => {
    const shifted = new Uint8Array(bytes.length + 2).subarray(2);
    shifted.set(bytes);
    const other = parseSafetensors(shifted, 'shifted');
    const t = other.tensors.get('transformer.wpe.weight')!;
    expect((t.data.byteOffset) % 4).not.toBe(0);
    const wpe = tensorFloat32(t);
    expect(wpe.buffer).not.toBe(shifted.buffer);
    expect(Array.from(wpe)).toEqual(Array.from(tensorFloat32(st.tensors.get('transformer.wpe.weight')!)));
  });

  it('keeps F16/BF16 matrices as raw bits and widens vectors to float32', () => {
    const bf = new Uint16Array([0x3f80, 0xc000, 0x3e80, 0x0000]); // 1, -2, 0.25, 0
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3400, 0x8000]); // 1, -2, 0.25, -0
    const file = writeSafetensors([
      { name: 'm', dtype: 'BF16', shape: [2, 2], data: bf },
      { name: 'h', dtype: 'F16', shape: [4], data: f16 },
    ]);
    const st2 = parseSafetensors(file, 'halves');
    const m = tensorMatrix(st2.tensors.get('m')!);
    expect(m.type).toBe('bf16');
    expect(m.type === 'bf16' && Array.from(m.data)).toEqual(Array.from(bf));
    expect(Array.from(tensorFloat32(st2.tensors.get('m')!))).toEqual([1, -2, 0.25, 0]);
    expect(Array.from(tensorFloat32(st2.tensors.get('h')!))).toEqual([1, -2, 0.25, -0]);
  });
});

describe('writing', () => {
  const data0 = new Uint8Array(0);
  it('writes Hugging Face layout: length, JSON padded with spaces to 8 bytes, data in order', () => {
    const a = new Float32Array([1.5, -2, 3.25]);
    const b = new Uint16Array([f32ToBf16(0.5), f32ToBf16(-1)]);
    const c = new Uint16Array([f32ToF16(2), f32ToF16(0.125)]);
    const out = writeSafetensors([
      { name: 'a', dtype: 'F32', shape: [3], data: a },
      { name: 'b', dtype: 'BF16', shape: [1, 2], data: b },
      { name: 'c', dtype: 'F16', shape: [2], data: new Uint8Array(c.buffer) },
    ]);
    const view = new DataView(out.buffer, out.byteOffset);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(out.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(text)).toEqual({
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'BF16', shape: [1, 2], data_offsets: [12, 16] },
      c: { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
    });
    expect(out.length).toBe(8 + n + 20);
    expect(view.getFloat32(8 + n + 4, true)).toBe(-2);
    expect(view.getUint16(8 + n + 12, true)).toBe(0x3f00);
    expect(view.getUint16(8 + n + 16, true)).toBe(0x4000);
  });

  it('round-trips the stand-in checkpoint byte for byte in the tensor data', () => {
    const st = parseSafetensors(bytesOf(STANDIN()), STANDIN());
    const tensors = [...st.tensors.values()].map((t) => ({ ...t, dtype: t.dtype as SafetensorsDtype }));
    const again = parseSafetensors(writeSafetensors(tensors, st.metadata), 'again');
    expect([...again.tensors.keys()]).toEqual([...st.tensors.keys()]);
    for (const t of tensors) {
      const u = again.tensors.get(t.name)!;
      expect(u.shape).toEqual(t.shape);
      expect(Buffer.compare(Buffer.from(u.data), Buffer.from(t.data))).toBe(0);
    }
  });

  it('writes custom metadata, or none', () => {
    const one = [{ name: 'x', dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) }];
    expect(parseSafetensors(writeSafetensors(one, { step: '12' }), 'm').metadata).toEqual({ step: '12' });
    expect(parseSafetensors(writeSafetensors(one, {}), 'm').metadata).toEqual({});
  });

  it('takes any tensor name, even ones that are Object properties', () => {
    const names = ['toString', '__proto__', 'constructor'];
    const file = writeSafetensors(names.map((name) => ({ name, dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) })));
    const st = parseSafetensors(file, 'names');
    expect([...st.tensors.keys()]).toEqual(names);
    expect(() => writeSafetensors([...Array(2)].map(() => ({ name: 'x', dtype: 'F32' as const, shape: [], data: new Float32Array(1) })))).toThrow(/duplicate/);
    expect(formatError(() => parseSafetensors(handMade({ x: { dtype: 'toString', shape: [], data_offsets: [0, 0] } }, data0), 'p')).field).toBe('tensor "x" dtype');
  });

  it('refuses data whose size does not match the shape', () => {
    expect(() => writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/needs 16/);
  });
});

describe('malformed files', () => {
  const data = new Uint8Array(16);
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };

  it.each([
    ['shorter than the length field', new Uint8Array(5), 'header length'],
    ['a header length beyond the file', handMade(ok, data, 10_000), 'header length'],
    ['a header length of 2^40', handMade(ok, data, 2 ** 40), 'header length'],
    ['a header that is not JSON', handMade('x', data).map((b, i) => (i === 8 ? 0x7b : b)), 'JSON'],
    ['a header that is an array', handMade([1, 2], data), 'header'],
    ['an unknown dtype', handMade({ x: { dtype: 'Q9', shape: [2], data_offsets: [0, 16] } }, data), 'tensor "x" dtype'],
    ['an I64 tensor of the wrong size', handMade({ x: { dtype: 'I64', shape: [3], data_offsets: [0, 16] } }, data), 'tensor "x" data_offsets'],
    ['shape × dtype ≠ byte range', handMade({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data), 'tensor "x" data_offsets'],
    ['offsets past the data', handMade({ x: { dtype: 'F32', shape: [6], data_offsets: [0, 24] } }, data), 'tensor "x" data_offsets'],
    ['reversed offsets', handMade({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data), 'tensor "x" data_offsets'],
    ['overlapping tensors', handMade({ x: ok.x, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data), 'tensor "y" data_offsets'],
    ['a negative dimension', handMade({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data), 'tensor "x" shape'],
    ['a non-string metadata value', handMade({ __metadata__: { a: 1 }, ...ok }, data), '__metadata__.a'],
  ])('%s', (_, bytes, field) => {
    const err = formatError(() => parseSafetensors(bytes, 'bad.safetensors'));
    expect(err.file).toBe('bad.safetensors');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(/^bad\.safetensors: /);
  });

  it('lays out other dtypes but refuses their values, naming what it expected', () => {
    const st = parseSafetensors(handMade({ x: { dtype: 'I8', shape: [16], data_offsets: [0, 16] } }, data), 'f');
    const x = st.tensors.get('x')!;
    expect(formatError(() => tensorFloat32(x)).message).toBe('f: tensor "x" dtype: expected F32, F16 or BF16 (other dtypes are not supported), found I8');
    expect(formatError(() => tensorMatrix({ ...x, shape: [4, 4] })).field).toBe('tensor "x" dtype');
  });

  it('accepts a well-formed hand-made file', () => {
    const st = parseSafetensors(handMade(ok, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)), 'ok');
    expect(Array.from(tensorFloat32(st.tensors.get('y')!))).toEqual([3, 4]);
  });
});

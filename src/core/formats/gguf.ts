// The GGUF container (version 3), both ways: typed key/value metadata, tensor descriptions, then
// the tensor data, each tensor at an offset aligned to general.alignment (default 32).
// All integers little-endian; strings are a u64 byte length then UTF-8 bytes; tensor dims are
// listed innermost first (ne0 = columns), so a [rows, cols] matrix is written as (cols, rows).
import { alignUp } from '../bytes/align.js';
import { ByteWriter } from '../bytes/writer.js';
import { FormatError } from '../errors.js';
import { BLOCK_BYTES } from './quant.js';

export const GGUF_MAGIC = 'GGUF';

/** ggml tensor types we write and read. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;

/** Per ggml type: its name and how many bytes a run of `per` elements takes. */
const GGML_TYPES: Record<number, { name: keyof typeof GGML_TYPE; per: number; bytes: number }> = {
  [GGML_TYPE.F32]: { name: 'F32', per: 1, bytes: 4 },
  [GGML_TYPE.F16]: { name: 'F16', per: 1, bytes: 2 },
  [GGML_TYPE.Q4_0]: { name: 'Q4_0', per: 32, bytes: BLOCK_BYTES.q4_0 },
  [GGML_TYPE.Q8_0]: { name: 'Q8_0', per: 32, bytes: BLOCK_BYTES.q8_0 },
};

/** The name of a ggml type (its number when it is not one tinytalk reads). */
export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? String(type);
}

// Metadata value types of the GGUF spec.
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'i32[]'; value: number[] };

export interface GgufTensor {
  name: string;
  /** ne0 first (the number of columns of a matrix). */
  dims: number[];
  type: number; // GGML_TYPE
  data: Uint8Array;
}

export interface Gguf {
  version: number;
  /** Scalars as numbers/strings/booleans (u64/i64 as numbers), arrays as JS arrays. */
  metadata: Map<string, unknown>;
  tensors: Map<string, GgufTensor>;
}

/** Where tensor data start and how each tensor's bytes are padded, unless general.alignment says otherwise. */
const ALIGNMENT = 32;

/** Bytes one tensor of this type and element count occupies. */
export function ggmlBytes(type: number, elements: number, file = 'gguf', name = 'tensor'): number {
  const t = GGML_TYPES[type];
  if (!t) throw new FormatError(file, `tensor "${name}" type`, 'F32 (0), F16 (1), Q4_0 (2) or Q8_0 (8)', String(type));
  return (elements / t.per) * t.bytes;
}

/** A GGUF string: u64 byte length, then UTF-8. */
function writeString(out: ByteWriter, s: string): void {
  const b = new TextEncoder().encode(s);
  out.u64(b.length);
  out.bytes(b);
}

type ScalarKind = 'u32' | 'i32' | 'f32' | 'bool' | 'string';

/** The value types tinytalk writes: their GGUF type code and how one value is written. */
const SCALAR_WRITERS: { [K in ScalarKind]: [type: number, write: (out: ByteWriter, v: Extract<GgufValue, { type: K }>['value']) => void] } = {
  u32: [T.U32, (out, v) => out.u32(v)],
  i32: [T.I32, (out, v) => out.i32(v)],
  f32: [T.F32, (out, v) => out.f32(v)],
  bool: [T.BOOL, (out, v) => out.u8(v ? 1 : 0)],
  string: [T.STRING, writeString],
};

export function writeGguf(metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensor[]): Uint8Array {
  const out = new ByteWriter();
  out.bytes(new TextEncoder().encode(GGUF_MAGIC));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, v] of metadata) {
    writeString(out, key);
    const [type, write] = SCALAR_WRITERS[v.type.replace('[]', '') as ScalarKind];
    if (Array.isArray(v.value)) {
      out.u32(T.ARRAY);
      out.u32(type);
      out.u64(v.value.length);
      for (const item of v.value) write(out, item as never);
    } else {
      out.u32(type);
      write(out, v.value as never);
    }
  }
  let offset = 0;
  for (const t of tensors) {
    const size = ggmlBytes(t.type, t.dims.reduce((a, d) => a * d, 1), 'writeGguf', t.name);
    if (t.data.length !== size) throw new RangeError(`writeGguf: tensor "${t.name}" has ${t.data.length} bytes, its dims and type need ${size}`);
    writeString(out, t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.type);
    out.u64(offset);
    offset += alignUp(size, ALIGNMENT);
  }
  out.align(ALIGNMENT);
  for (const t of tensors) {
    out.bytes(t.data);
    out.align(ALIGNMENT);
  }
  return out.result();
}

/** Reads a GGUF v2/v3 file held in memory; tensor data are views into it. */
export function parseGguf(bytes: Uint8Array, file: string): Gguf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const need = (n: number, field: string) => {
    if (o + n > bytes.length) throw new FormatError(file, field, `${n} more bytes at offset ${o}`, `a file of ${bytes.length} bytes (truncated?)`);
  };
  const u32 = (field: string) => (need(4, field), (o += 4), view.getUint32(o - 4, true));
  const u64 = (field: string) => {
    need(8, field);
    const v = view.getBigUint64(o, true);
    o += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(file, field, 'a count below 2^53', v.toString());
    return Number(v);
  };
  const str = (field: string) => {
    const n = u64(field);
    need(n, field);
    o += n;
    return new TextDecoder().decode(bytes.subarray(o - n, o));
  };
  const value = (type: number, field: string): unknown => {
    switch (type) {
      case T.U8: return (need(1, field), (o += 1), view.getUint8(o - 1));
      case T.I8: return (need(1, field), (o += 1), view.getInt8(o - 1));
      case T.U16: return (need(2, field), (o += 2), view.getUint16(o - 2, true));
      case T.I16: return (need(2, field), (o += 2), view.getInt16(o - 2, true));
      case T.U32: return u32(field);
      case T.I32: return (need(4, field), (o += 4), view.getInt32(o - 4, true));
      case T.F32: return (need(4, field), (o += 4), view.getFloat32(o - 4, true));
      case T.BOOL: return (need(1, field), (o += 1), view.getUint8(o - 1) !== 0);
      case T.STRING: return str(field);
      case T.U64: return u64(field);
      case T.I64: return (need(8, field), (o += 8), Number(view.getBigInt64(o - 8, true)));
      case T.F64: return (need(8, field), (o += 8), view.getFloat64(o - 8, true));
      case T.ARRAY: {
        const itemType = u32(field);
        const n = u64(field);
        const items = new Array<unknown>();
        for (let i = 0; i < n; i++) items.push(value(itemType, field));
        return items;
      }
      default:
        throw new FormatError(file, field, 'a GGUF value type 0..12', String(type));
    }
  };

  need(8, 'magic');
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== GGUF_MAGIC) {
    throw new FormatError(file, 'magic', '"GGUF"', JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 4))));
  }
  o = 4;
  const version = u32('version');
  if (version !== 2 && version !== 3) throw new FormatError(file, 'version', '2 or 3', String(version));
  const nTensors = u64('tensor_count');
  const nKv = u64('metadata_kv_count');
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const key = str(`metadata key ${i}`);
    metadata.set(key, value(u32(`metadata "${key}" type`), `metadata "${key}"`));
  }
  const infos: Array<{ name: string; dims: number[]; type: number; offset: number }> = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str(`tensor ${i} name`);
    const nd = u32(`tensor "${name}" n_dims`);
    if (nd < 1 || nd > 4) throw new FormatError(file, `tensor "${name}" n_dims`, '1 to 4', String(nd));
    const dims = Array.from({ length: nd }, () => u64(`tensor "${name}" dims`));
    infos.push({ name, dims, type: u32(`tensor "${name}" type`), offset: u64(`tensor "${name}" offset`) });
  }
  const alignment = Number(metadata.get('general.alignment') ?? ALIGNMENT);
  const dataStart = alignUp(o, alignment);
  const tensors = new Map<string, GgufTensor>();
  for (const t of infos) {
    const elements = t.dims.reduce((a, d) => a * d, 1);
    const size = ggmlBytes(t.type, elements, file, t.name);
    const start = dataStart + t.offset;
    if (start + size > bytes.length) {
      throw new FormatError(file, `tensor "${t.name}" data`, `${size} bytes at offset ${start}`, `a file of ${bytes.length} bytes (truncated?)`);
    }
    tensors.set(t.name, { name: t.name, dims: t.dims, type: t.type, data: bytes.subarray(start, start + size) });
  }
  return { version, metadata, tensors };
}

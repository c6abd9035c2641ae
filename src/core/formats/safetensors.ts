// safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the tensor bytes. Every tensor's byte range is validated; F32/F16/BF16 tensors (what GPT-Neo
// checkpoints use) are read as views into the file. Tensors of other dtypes (old checkpoints carry
// integer attention-mask buffers nobody reads) are refused only when someone asks for their values.
// We write the same layout (header padded with spaces to 8 bytes, as Hugging Face does); the
// dtype table and tensorBytes give the sizes that both sides use.
import { alignUp } from '../bytes/align.js';
import { bytesLe, float32Le, uint16Le } from '../bytes/endian.js';
import { halfTable } from '../bytes/halfs.js';
import { describe, jsonObject, parseJson, utf8Text } from '../bytes/json.js';
import { ByteWriter } from '../bytes/writer.js';
import { FormatError, TinyTalkError } from '../errors.js';
import type { TensorInfo } from '../neo/model.js';
import type { Matrix } from '../neo/tensor.js';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Element sizes of the dtypes we can lay out but not compute with. */
const OTHER_DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, I32: 4, U32: 4, F64: 8, I64: 8, U64: 8,
};
const SUPPORTED = 'F32, F16 or BF16 (other dtypes are not supported)';

const isFloatDtype = (dtype: string): dtype is SafetensorsDtype => Object.hasOwn(DTYPE_BYTES, dtype);

function elementBytes(dtype: unknown): number | undefined {
  if (typeof dtype !== 'string') return undefined;
  if (isFloatDtype(dtype)) return DTYPE_BYTES[dtype];
  return Object.hasOwn(OTHER_DTYPE_BYTES, dtype) ? OTHER_DTYPE_BYTES[dtype] : undefined;
}

/** Bytes of a tensor of this element size and shape. */
const tensorBytes = (bytesPerElement: number, shape: readonly number[]): number => bytesPerElement * shape.reduce((a, d) => a * d, 1);

/** The header length is a u64 before the header; the header is padded to a multiple of this. */
const HEADER_LENGTH_BYTES = 8;
/** Hugging Face refuses headers above 100 MB; so do we, before decoding them. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafeTensor {
  /** The file it came from, for errors. */
  file: string;
  name: string;
  /** F32, F16, BF16, or another safetensors dtype (I64, BOOL, …) that tensorFloat32/tensorMatrix refuse. */
  dtype: SafetensorsDtype | string;
  shape: number[];
  /** The tensor's bytes: a view into the file. */
  data: Uint8Array;
}

export interface Safetensors {
  file: string;
  /** In header order. */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
  /** 8 + header length: where the tensor bytes start. */
  dataStart: number;
}

export function parseSafetensors(bytes: Uint8Array, file: string): Safetensors {
  const H = HEADER_LENGTH_BYTES;
  if (bytes.byteLength < H) throw new FormatError(file, 'header length', `an ${H}-byte header length`, `${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, H);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLength = hi * 2 ** 32 + lo;
  if (headerLength > bytes.byteLength - H || headerLength > MAX_HEADER_BYTES || headerLength < 2) {
    throw new FormatError(
      file,
      'header length',
      `at least 2 and at most ${Math.min(bytes.byteLength - H, MAX_HEADER_BYTES)} bytes (the rest of the file)`,
      String(headerLength),
    );
  }
  const dataStart = H + headerLength;
  const dataSize = bytes.byteLength - dataStart;
  const header = jsonObject(parseJson(utf8Text(bytes.subarray(H, dataStart), file), file), file, 'header');

  const tensors = new Map<string, SafeTensor>();
  const ranges: Array<[number, number, string]> = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, file);
      continue;
    }
    const field = `tensor "${name}"`;
    const e = jsonObject(entry, file, field);
    const dtype = e.dtype;
    const bytesPerElement = elementBytes(dtype);
    if (bytesPerElement === undefined) throw new FormatError(file, `${field} dtype`, SUPPORTED, describe(dtype));
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new FormatError(file, `${field} shape`, 'an array of non-negative integers', describe(shape));
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new FormatError(file, `${field} data_offsets`, '[begin, end] with 0 <= begin <= end', JSON.stringify(offsets));
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataSize) {
      throw new FormatError(file, `${field} data_offsets`, `an end within the ${dataSize} data bytes`, String(end));
    }
    const size = tensorBytes(bytesPerElement, shape);
    if (size !== end - begin) {
      throw new FormatError(
        file,
        `${field} data_offsets`,
        `${size} bytes (shape [${shape.join(', ')}] × ${dtype})`,
        `${end - begin} bytes`,
      );
    }
    ranges.push([begin, end, name]);
    const data = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { file, name, dtype: dtype as string, shape: shape as number[], data });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const [begin, , name] = ranges[i]!;
    const [, prevEnd, prevName] = ranges[i - 1]!;
    if (begin < prevEnd) {
      throw new FormatError(file, `tensor "${name}" data_offsets`, `no overlap with tensor "${prevName}" (ends at ${prevEnd})`, `begin ${begin}`);
    }
  }
  return { file, tensors, metadata, dataStart };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  const m = jsonObject(value, file, '__metadata__');
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') throw new FormatError(file, `__metadata__.${k}`, 'a string', describe(v));
  }
  return m as Record<string, string>;
}

function requireFloat(t: SafeTensor): void {
  if (!isFloatDtype(t.dtype)) throw new FormatError(t.file, `tensor "${t.name}" dtype`, SUPPORTED, t.dtype);
}

/** A 1-D or N-D tensor as float32 values (a view for aligned F32, otherwise converted). */
export function tensorFloat32(t: SafeTensor): Float32Array {
  requireFloat(t);
  if (t.dtype === 'F32') return float32Le(t.data);
  const table = halfTable(t.dtype === 'BF16' ? 'bf16' : 'f16');
  const bits = uint16Le(t.data);
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** A 2-D tensor as a Matrix in its stored type (f32, or raw f16/bf16 bits). */
export function tensorMatrix(t: SafeTensor): Matrix {
  if (t.shape.length !== 2) throw new FormatError(t.file, `tensor "${t.name}" shape`, 'a 2-D matrix', `[${t.shape.join(', ')}]`);
  requireFloat(t);
  const [rows, cols] = t.shape as [number, number];
  if (t.dtype === 'F32') return { type: 'f32', rows, cols, data: float32Le(t.data) };
  return { type: t.dtype === 'BF16' ? 'bf16' : 'f16', rows, cols, data: uint16Le(t.data) };
}

/** Every tensor of a safetensors file as stored, for inspect. */
export function safetensorsInfo(st: Safetensors): TensorInfo[] {
  return [...st.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, type: t.dtype, bytes: t.data.byteLength }));
}

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Float32Array for F32, Uint16Array (raw bits) for F16/BF16, or the raw little-endian bytes. */
  data: Uint8Array | Float32Array | Uint16Array;
}

/**
 * The safetensors file for these tensors, in the given order. metadata defaults to
 * {format: 'pt'}, which transformers' from_pretrained expects.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = Object.create(null); // any tensor name is a plain key
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new TinyTalkError(`writeSafetensors: duplicate or reserved tensor name "${t.name}"`);
    const size = tensorBytes(DTYPE_BYTES[t.dtype], t.shape);
    if (t.data.byteLength !== size) {
      throw new TinyTalkError(`writeSafetensors: tensor "${t.name}" has ${t.data.byteLength} bytes, shape [${t.shape.join(', ')}] × ${t.dtype} needs ${size}`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = alignUp(json.byteLength, HEADER_LENGTH_BYTES);
  const out = new ByteWriter(HEADER_LENGTH_BYTES + padded + offset);
  out.u64(padded);
  out.bytes(json);
  while (out.length < HEADER_LENGTH_BYTES + padded) out.u8(0x20); // spaces, as Hugging Face pads
  for (const t of tensors) out.bytes(t.data);
  return out.result();
}

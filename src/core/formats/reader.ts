// Bounds-checked reads from a file held in memory: every read that would pass the end of the file
// becomes a FormatError naming the file and the field, and numeric arrays are zero-copy views
// whenever the bytes are aligned for them.
import { FormatError } from '../errors.js';

/** Typed-array views read the host's byte order; every file format here is little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class BinaryReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get size(): number {
    return this.bytes.byteLength;
  }

  /** Throws unless bytes [offset, offset + length) lie inside the file. */
  need(offset: number, length: number, field: string): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.size)) {
      throw new FormatError(
        this.file,
        field,
        `${length} bytes at offset ${offset}`,
        `a file of ${this.size} bytes (truncated?)`,
      );
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.view.getUint8(offset);
  }

  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, true);
  }

  i32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getInt32(offset, true);
  }

  /** The raw bytes [offset, offset + length), a view into the file. */
  slice(offset: number, length: number, field: string): Uint8Array {
    this.need(offset, length, field);
    return this.bytes.subarray(offset, offset + length);
  }

  /** count little-endian float32 values: a view into the file when aligned, else a copy. */
  f32s(offset: number, count: number, field: string): Float32Array {
    return float32Le(this.slice(offset, count * 4, field));
  }

  /** count little-endian uint16 values: a view into the file when aligned, else a copy. */
  u16s(offset: number, count: number, field: string): Uint16Array {
    return uint16Le(this.slice(offset, count * 2, field));
  }
}

/** Little-endian float32 bytes as a Float32Array (zero-copy when 4-byte aligned). */
export function float32Le(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >>> 2;
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** Little-endian uint16 bytes as a Uint16Array (zero-copy when 2-byte aligned). */
export function uint16Le(bytes: Uint8Array): Uint16Array {
  const n = bytes.byteLength >>> 1;
  if (HOST_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  return out;
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function bytesLe(data: Uint8Array | Uint16Array | Float32Array): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setUint16(2 * i, data[i]!, true);
  return out;
}

/** UTF-8 text of a file, refusing invalid bytes. */
export function utf8Text(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(file, 'text', 'valid UTF-8');
  }
}

/** JSON.parse that reports a syntax error as a FormatError naming the file. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(file, 'JSON', 'valid JSON', (err as Error).message);
  }
}

/** A JSON object (not an array, not null), or a FormatError. */
export function jsonObject(value: unknown, file: string, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(file, field, 'a JSON object', describe(value));
  }
  return value as Record<string, unknown>;
}

/** A short description of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

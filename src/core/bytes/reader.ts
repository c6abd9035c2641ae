// Bounds-checked reads from a file held in memory: every read that would pass the end of the file
// becomes a FormatError naming the file and the field, and numeric arrays are zero-copy views
// whenever the bytes are aligned for them.
import { FormatError } from '../errors.js';
import { float32Le, uint16Le } from './endian.js';

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

// A growable little-endian byte buffer for the file writers: fields are appended in order, and a
// writer pads to the offsets its format's layout gives (padTo), so the layout that the reader
// checks is also the one the writer follows.
import { alignUp } from './align.js';
import { bytesLe } from './endian.js';

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far: the offset of the next field. */
  length = 0;

  /** capacity: the expected size (the buffer grows past it when needed). */
  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }

  u64(v: number): void {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }

  f32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }

  /** Raw bytes, or the little-endian bytes of float32 / uint16 values (bit patterns kept). */
  bytes(data: Uint8Array | Uint16Array | Float32Array): void {
    const b = bytesLe(data);
    this.room(b.byteLength);
    this.buf.set(b, this.length);
    this.length += b.byteLength;
  }

  /** Zero bytes up to `offset`, where the layout says the next field starts. */
  padTo(offset: number): void {
    if (offset < this.length) throw new RangeError(`ByteWriter: at byte ${this.length}, past the next field's offset ${offset}`);
    this.room(offset - this.length);
    this.buf.fill(0, this.length, offset);
    this.length = offset;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  align(alignment: number): void {
    this.padTo(alignUp(this.length, alignment));
  }

  /** The bytes written (the buffer itself when it was sized exactly). */
  result(): Uint8Array {
    return this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length);
  }
}

// Typed arrays ↔ little-endian bytes: every file format tinytalk reads or writes is little-endian,
// while typed-array views read the host's byte order. Views are used whenever that is safe.

/** Typed-array views read the host's byte order; every file format here is little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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

// A zip archive of files stored as they are (no compression), as the page hands out a Hugging Face
// checkpoint folder in one download. PKWARE's APPNOTE layout: a local header and the bytes of each
// file, then the central directory and its end record. Names are UTF-8 (flag bit 11); every entry
// carries the same fixed time (1980-01-01 00:00), so the same files always give the same archive.
import { UsageError } from '../errors.js';
import { ByteWriter } from '../bytes/writer.js';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** Version 2.0: what a reader needs for stored entries in folders. */
const VERSION = 20;
const UTF8_NAMES = 1 << 11;
const STORED = 0;
/** MS-DOS date of 1980-01-01 (year − 1980 << 9 | month << 5 | day); the time is 00:00:00. */
const DOS_DATE = (1 << 5) | 1;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_BYTES = 22;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip stores for each file. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The archive of `files` (name → bytes, names may hold `/` for folders), in the map's order. */
export function writeZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const utf8 = new TextEncoder();
  const entries = [...files].map(([name, data]) => {
    if (data.length > 0xffffffff) throw new UsageError(`zip: ${name} has ${data.length} bytes; a zip without ZIP64 holds at most 4 GiB a file`);
    return { name: utf8.encode(name), data, crc: crc32(data), offset: 0 };
  });
  if (entries.length > 0xffff) throw new UsageError(`zip: ${entries.length} files; a zip without ZIP64 holds at most 65,535`);
  const size = entries.reduce((n, e) => n + LOCAL_HEADER_BYTES + CENTRAL_HEADER_BYTES + 2 * e.name.length + e.data.length, END_BYTES);
  if (size > 0xffffffff) throw new UsageError(`zip: ${size} bytes in all; a zip without ZIP64 holds at most 4 GiB`);
  const w = new ByteWriter(size);
  // the fields a local header and a central header share, from "version needed" to the name's length
  const common = (e: (typeof entries)[number]) => {
    w.u16(VERSION);
    w.u16(UTF8_NAMES);
    w.u16(STORED);
    w.u16(0); // time
    w.u16(DOS_DATE);
    w.u32(e.crc);
    w.u32(e.data.length); // compressed size
    w.u32(e.data.length);
    w.u16(e.name.length);
    w.u16(0); // extra field length
  };
  for (const e of entries) {
    e.offset = w.length;
    w.u32(LOCAL_HEADER);
    common(e);
    w.bytes(e.name);
    w.bytes(e.data);
  }
  const directoryAt = w.length;
  for (const e of entries) {
    w.u32(CENTRAL_HEADER);
    w.u16(VERSION); // made by
    common(e);
    w.u16(0); // comment length
    w.u16(0); // disk number
    w.u16(0); // internal attributes
    w.u32(0); // external attributes
    w.u32(e.offset);
    w.bytes(e.name);
  }
  const directoryBytes = w.length - directoryAt;
  w.u32(END_OF_CENTRAL_DIRECTORY);
  w.u16(0); // this disk
  w.u16(0); // the directory's disk
  w.u16(entries.length);
  w.u16(entries.length);
  w.u32(directoryBytes);
  w.u32(directoryAt);
  w.u16(0); // comment length
  return w.result();
}

// GPT-2's byte ↔ unicode mapping: vocab.json and merges.txt spell every raw byte as one printable
// character, and GPT-2 numbers its 256 byte tokens in that mapping's order (firmware-format.md 2.2).

/** Whether GPT-2 spells byte b as the character with the same code point. */
function selfMapped(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/**
 * Byte values in GPT-2 id order: GPT2_BYTE_ORDER[id] is the byte of GPT-2 token `id` (0..255).
 * First the 188 self-mapped bytes ascending, then the 68 remapped ones ascending.
 */
export const GPT2_BYTE_ORDER: readonly number[] = (() => {
  const all = Array.from({ length: 256 }, (_, b) => b);
  return [...all.filter(selfMapped), ...all.filter((b) => !selfMapped(b))];
})();

/** BYTE_TO_UNICODE[b]: the one-character string GPT-2 uses for byte b. */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const out = new Array<string>(256);
  let next = 0x100; // the remapped bytes take U+0100, U+0101, … in ascending byte order
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(selfMapped(b) ? b : next++);
  return out;
})();

const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

/** GPT-2's spelling of raw token bytes (what vocab.json and merges.txt hold). */
export function bytesToGpt2String(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_UNICODE[b];
  return s;
}

/** Raw bytes of a GPT-2-spelled token, or null if it holds a character outside the mapping. */
export function gpt2StringToBytes(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length); // every mapped character is one UTF-16 unit
  for (let i = 0; i < text.length; i++) {
    const b = UNICODE_TO_BYTE.get(text[i]!);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

// Streaming decode: token bytes go through one incremental UTF-8 decoder, so a character whose
// bytes are split over several tokens (emoji, CJK, accents) comes out whole, never as U+FFFD.
import type { StreamDecoder } from '../neo/tokenizer.js';

/** A fresh UTF-8 decoder that keeps a leading U+FEFF (it is text, not a byte-order mark here). */
export function utf8Decoder(): TextDecoder {
  return new TextDecoder('utf-8', { ignoreBOM: true });
}

export class Utf8StreamDecoder implements StreamDecoder {
  private readonly utf8 = utf8Decoder();

  constructor(private readonly bytesOf: (id: number) => Uint8Array) {}

  push(id: number): string {
    return this.utf8.decode(this.bytesOf(id), { stream: true });
  }

  flush(): string {
    return this.utf8.decode();
  }
}

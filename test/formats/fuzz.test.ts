// Random damage to the real model files — truncations, bit flips, rewritten digits in JSON headers
// (lying sizes, offsets, shapes, ids) — through the in-memory loaders: every outcome is either a
// loaded model or a FormatError naming the file; never another exception, a crash or a hang.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { parseGenerationConfig, parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { neoWeightsFromSafetensors } from '../../src/core/formats/hf-weights.js';
import { modelFromCrdp } from '../../src/core/load/model.js';
import { loadHfTokenizer } from '../../src/core/tokenizer/hf.js';
import { HF_STANDIN, V2_MODEL, V2_TOKENIZER, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';
import { bytesOf } from './util.js';

/** Runs load; a FormatError naming `file` (or one of them) is fine, a model is fine, anything else fails the test. */
function loadsOrFormatError<T>(file: string | string[], load: () => T, check: (value: T) => void): 'ok' | 'error' {
  const files = typeof file === 'string' ? [file] : file;
  let value: T;
  try {
    value = load();
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    expect(files.some((f) => err.file.startsWith(f))).toBe(true);
    expect(err.message).toMatch(/: .+: expected /);
    return 'error';
  }
  check(value);
  return 'ok';
}

/** Bit flips at chosen offsets and a cut at `length`. */
const damage = (bytes: Uint8Array, flips: Array<[number, number]>, length: number): Uint8Array => {
  const out = bytes.slice(0, length);
  for (const [at, bit] of flips) if (at < out.length) out[at]! ^= 1 << bit;
  return out;
};

/** Applies edits to `bytes` in place for the length of `run`, then restores them (no copy of a big file). */
function withEdits<T>(bytes: Uint8Array, edits: Array<[number, number]>, run: () => T): T {
  const saved = edits.map(([at]) => [at, bytes[at]!] as const);
  for (const [at, value] of edits) bytes[at] = value;
  try {
    return run();
  } finally {
    for (const [at, value] of saved.reverse()) bytes[at] = value;
  }
}

/** Offsets of the ASCII digits in [from, to): rewriting one changes a number, keeping the JSON valid. */
function digitsIn(bytes: Uint8Array, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) out.push(i);
  return out;
}

/** Rewrites some of the given digit positions to other digits (or a few other JSON characters). */
const rewriteDigits = (positions: number[]) =>
  fc.array(fc.tuple(fc.constantFrom(...positions), fc.constantFrom(...'0123456789-.e]"'.split('').map((c) => c.charCodeAt(0)))), {
    minLength: 1,
    maxLength: 4,
  });

describe('firmware blobs', () => {
  const cases = [
    ['v2', V2_MODEL, V2_TOKENIZER],
    ['v3', V3_MODEL, V3_TOKENIZER],
  ] as const;

  describe.each(cases)('CRDP %s', (_, modelPath, tokPath) => {
    const model = bytesOf(modelPath());
    const tok = bytesOf(tokPath());

    it('refuses every truncation, at any length', () => {
      const outcomes = new Set<string>();
      fc.assert(
        fc.property(fc.nat(model.length - 1), (length) => {
          const cut = model.subarray(0, length);
          const r = loadsOrFormatError(modelPath(), () => modelFromCrdp(cut, tok, modelPath(), tokPath()), () => {});
          expect(r).toBe('error');
          outcomes.add(r);
        }),
        { numRuns: 100, seed: 11 },
      );
      expect(outcomes).toEqual(new Set(['error']));
    });

    it('loads or refuses header bit flips, never anything else', () => {
      const outcomes = { ok: 0, error: 0 };
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(63), fc.nat(7)), { minLength: 1, maxLength: 3 }), (flips) => {
          const bytes = damage(model, flips, model.length);
          // A lying vocab_size is reported against the tokenizer that no longer matches it, naming both.
          const r = loadsOrFormatError(
            [modelPath(), tokPath()],
            () => modelFromCrdp(bytes, tok, modelPath(), tokPath()),
            (m) => expect(m.tokenizer.vocabSize).toBe(m.config.vocabSize),
          );
          outcomes[r]++;
        }),
        { numRuns: 150, seed: 12 },
      );
      // Both happen: flips in the padding or shared_classifier byte are harmless, the rest are caught.
      expect(outcomes.ok).toBeGreaterThan(0);
      expect(outcomes.error).toBeGreaterThan(0);
    });

    it('loads any damage to the weights themselves (they are just other numbers)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 64, max: model.length - 1 }), fc.nat(7)), { minLength: 1, maxLength: 20 }), (flips) => {
          const m = modelFromCrdp(damage(model, flips, model.length), tok, modelPath(), tokPath());
          expect(m.config.vocabSize).toBe(m.tokenizer.vocabSize);
        }),
        { numRuns: 30, seed: 13 },
      );
    });
  });
});

describe('Hugging Face checkpoint files', () => {
  const dir = HF_STANDIN();
  const st = bytesOf(join(dir, 'model.safetensors'));
  const headerEnd = 8 + Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
  const configText = readFileSync(join(dir, 'config.json'), 'utf8');
  const config = parseHfConfig(configText, 'config.json');

  const loadWeights = (bytes: Uint8Array) => neoWeightsFromSafetensors(parseSafetensors(bytes, 'model.safetensors'), config);

  it('safetensors: refuses every truncation (header or data)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(headerEnd + 10), fc.nat(st.length - 1)), (length) => {
        expect(loadsOrFormatError('model.safetensors', () => loadWeights(st.subarray(0, length)), () => {})).toBe('error');
      }),
      { numRuns: 150, seed: 21 },
    );
  });

  it('safetensors: loads or refuses bit flips in the length field and the JSON header', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(headerEnd - 1), fc.nat(7)), { minLength: 1, maxLength: 3 }), (flips) => {
        const edits = flips.map(([at, bit]): [number, number] => [at, st[at]! ^ (1 << bit)]);
        withEdits(st, edits, () =>
          loadsOrFormatError('model.safetensors', () => loadWeights(st), (w) => expect(w.layers).toHaveLength(8)),
        );
      }),
      { numRuns: 200, seed: 22 },
    );
  });

  it('safetensors: loads or refuses a header lying about offsets, shapes and its own length', () => {
    const positions = [...digitsIn(st, 8, headerEnd), 0, 1, 2, 3, 4, 5, 6, 7];
    const outcomes = { ok: 0, error: 0 };
    fc.assert(
      fc.property(rewriteDigits(positions), (edits) => {
        outcomes[withEdits(st, edits, () => loadsOrFormatError('model.safetensors', () => loadWeights(st), (w) => expect(w.layers).toHaveLength(8)))]++;
      }),
      { numRuns: 200, seed: 23 },
    );
    expect(outcomes.error).toBeGreaterThan(100);
  });

  it('config.json and generation_config.json: loads or refuses rewritten numbers and flipped bits', () => {
    const texts: Array<[string, (t: string) => unknown]> = [
      [configText, (t) => parseHfConfig(t, 'config.json')],
      [readFileSync(join(dir, 'generation_config.json'), 'utf8'), (t) => parseGenerationConfig(t, 'config.json')],
      [JSON.stringify({ temperature: 0.8, top_k: 50, top_p: 0.9, max_new_tokens: 64 }), (t) => parseGenerationConfig(t, 'config.json')],
    ];
    for (const [text, parse] of texts) {
      const bytes = new TextEncoder().encode(text);
      const positions = digitsIn(bytes, 0, bytes.length);
      fc.assert(
        fc.property(rewriteDigits(positions), fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(6)), { maxLength: 2 }), (edits, flips) => {
          const b = damage(bytes, flips, bytes.length);
          for (const [at, c] of edits) b[at] = c;
          loadsOrFormatError('config.json', () => parse(new TextDecoder().decode(b)), () => {});
        }),
        { numRuns: 150, seed: 24 },
      );
    }
  });

  it('tokenizer.json: loads or refuses rewritten ids, flipped bits and truncations', () => {
    const bytes = bytesOf(join(dir, 'tokenizer.json'));
    const positions = digitsIn(bytes, 0, bytes.length);
    fc.assert(
      fc.property(
        rewriteDigits(positions),
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(7)), { maxLength: 2 }),
        fc.oneof(fc.constant(bytes.length), fc.nat(bytes.length)),
        (edits, flips, length) => {
          const b = damage(bytes, flips, length);
          for (const [at, c] of edits) if (at < b.length) b[at] = c;
          loadsOrFormatError('tokenizer.json', () => loadHfTokenizer({ tokenizerJson: b }, 'tokenizer.json'), (t) => {
            expect(t.decode(t.encode('User: hi there!\nBot:'))).toBe('User: hi there!\nBot:');
          });
        },
      ),
      { numRuns: 40, seed: 25 },
    );
  });
});

// The v3 firmware kernels (firmware-v3.ts on WebAssembly SIMD) against the arithmetic of
// firmware-format.md 11.1 written out here in scalar float32 (fused multiply-adds by the exact
// BigInt oracle): products and attention bit for bit, fused and not, on random data; then the
// whole engine with setKernelBackend('js') (the scalar code) against 'wasm'.
import { afterEach, describe, expect, it } from 'vitest';
import { FirmwareV3Engine } from '../../src/core/firmware/v3/engine.js';
import { quantizeQ8 } from '../../src/core/firmware/v3/numerics.js';
import { firmwareSoftmax } from '../../src/core/firmware/numerics.js';
import { bf16ToF32 } from '../../src/core/bytes/halfs.js';
import { firmwareV3Attention, firmwareV3Matvec, type Int4KV, type Q8Rows } from '../../src/core/kernels/firmware-v3.js';
import { activationArray, setKernelBackend } from '../../src/core/kernels/matmul.js';
import type { Q4Matrix } from '../../src/core/neo/tensor.js';
import { dim256Model, v3Model } from '../engine/models.js';
import { exactFmaf } from '../helpers/exact-fma.js';
import { fill, lcg } from '../helpers/random.js';

const fr = Math.fround;
const mulAdd = (fused: boolean) => (a: number, b: number, c: number): number => (fused ? exactFmaf(a, b, c) : fr(c + fr(a * b)));

/** Per row, per block: isum = Σ (code − 8)·q exactly, acc += (bf16 scale × s) × isum. */
function matvecOracle(x: Q8Rows, w: Q4Matrix, n: number, fused: boolean): Float32Array {
  const nb = w.cols / 32;
  const add = mulAdd(fused);
  const y = new Float32Array(n * w.rows);
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < w.rows; r++) {
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        let isum = 0;
        for (let k = 0; k < 16; k++) {
          const byte = w.nibbles[(r * nb + b) * 16 + k]!;
          isum += ((byte & 15) - 8) * x.q[t * w.cols + b * 32 + k]! + ((byte >> 4) - 8) * x.q[t * w.cols + b * 32 + 16 + k]!;
        }
        acc = add(fr(bf16ToF32(w.scales[r * nb + b]!) * x.s[t * nb + b]!), isum, acc);
      }
      y[t * w.rows + r] = acc;
    }
  }
  return y;
}

/** Per head: scores over the int4 keys (element i in byte i/2, low nibble when even) × the head's group scale, softmax, weighted values. */
function attentionOracle(q: Float32Array, o: number, c: Int4KV, first: number, span: number, D: number, hs: number, fused: boolean): Float32Array {
  const add = mulAdd(fused);
  const out = new Float32Array(D);
  const att = new Float32Array(span);
  const code = (bytes: Uint8Array, slot: number, i: number) => ((bytes[(slot * D + i) >> 1]! >> ((i & 1) * 4)) & 15) - 8;
  for (let h = 0; h < D / hs; h++) {
    const g = (h * hs) >> 5;
    for (let t = 0; t < span; t++) {
      let s = 0;
      for (let i = 0; i < hs; i++) s = add(q[o + h * hs + i]!, code(c.k, first + t, h * hs + i), s);
      att[t] = fr(s * c.kScale[(first + t) * (D / 32) + g]!);
    }
    firmwareSoftmax(att, 0, span);
    for (let t = 0; t < span; t++) {
      const a = fr(att[t]! * c.vScale[(first + t) * (D / 32) + g]!);
      for (let i = 0; i < hs; i++) out[h * hs + i] = add(a, code(c.v, first + t, h * hs + i), out[h * hs + i]!);
    }
  }
  return out;
}

function randomQ4(rows: number, cols: number, seed: number): Q4Matrix {
  const r = lcg(seed);
  return {
    type: 'q4_0', scaleType: 'bf16', rows, cols,
    scales: Uint16Array.from({ length: (rows * cols) / 32 }, () => 0x3c00 + Math.floor(r() * 0x0c00) + (r() < 0.5 ? 0x8000 : 0)),
    nibbles: Uint8Array.from({ length: (rows * cols) / 2 }, () => Math.floor(r() * 256)),
  };
}

describe('firmwareV3Matvec', () => {
  // (rows, cols, tokens): TinyTalk's and TinyTalk 2's shapes, a vocabulary not a multiple of 4, a prompt
  const cases: Array<[number, number, number]> = [[128, 128, 1], [1024, 256, 2], [256, 1024, 1], [1403, 128, 3], [6, 64, 5]];
  for (const fused of [false, true]) {
    it.each(cases)(`(%i × %i) weights, %i tokens${fused ? ', fused' : ''}: bit for bit`, (rows, cols, n) => {
      const w = randomQ4(rows, cols, rows + cols + n);
      const x = fill(activationArray(n * cols), rows, 6);
      const a: Q8Rows = { q: activationArray(n * cols, Int8Array), s: activationArray((n * cols) / 32), sum: activationArray((n * cols) / 32) };
      quantizeQ8(a, x, n, cols);
      const y = new Float32Array(n * rows + 3).fill(9);
      expect(firmwareV3Matvec(y, a, w, n, fused)).toBe(true);
      expect(Array.from(y.subarray(0, n * rows))).toEqual(Array.from(matvecOracle(a, w, n, fused)));
      expect(Array.from(y.subarray(n * rows))).toEqual([9, 9, 9]);
    });
  }
});

describe('firmwareV3Attention', () => {
  /** A cache of `slots` random int4 rows of D values in the kernel memory, scales like bf16 ones. */
  function randomCache(slots: number, D: number, seed: number): Int4KV {
    const r = lcg(seed);
    const c: Int4KV = {
      k: activationArray((slots * D) / 2, Uint8Array), v: activationArray((slots * D) / 2, Uint8Array),
      kScale: activationArray((slots * D) / 32), vScale: activationArray((slots * D) / 32),
    };
    for (let i = 0; i < c.k.length; i++) (c.k[i] = Math.floor(r() * 256)), (c.v[i] = Math.floor(r() * 256));
    for (let i = 0; i < c.kScale.length; i++) (c.kScale[i] = bf16ToF32(0x3c00 + Math.floor(r() * 0x0800))), (c.vScale[i] = bf16ToF32(0xbc00 + Math.floor(r() * 0x0800)));
    return c;
  }
  // (D, head size, span): TinyTalk (8), TinyTalk 2 (16: a scale group spans two heads), a head of 32
  const cases: Array<[number, number, number]> = [[128, 8, 1], [128, 8, 7], [128, 8, 80], [256, 16, 72], [256, 16, 3], [64, 32, 9]];
  for (const fused of [false, true]) {
    it.each(cases)(`D %i, head size %i, %i slots${fused ? ', fused' : ''}: bit for bit`, (D, hs, span) => {
      const first = 80 + 3; // a later layer's slots
      const c = randomCache(first + 80, D, D + hs + span);
      const q = fill(activationArray(3 * D), span, 4);
      const out = activationArray(3 * D).fill(9);
      expect(firmwareV3Attention(out, q, D, c, first, span, D, hs, firmwareSoftmax, fused)).toBe(true);
      expect(Array.from(out.subarray(D, 2 * D))).toEqual(Array.from(attentionOracle(q, D, c, first, span, D, hs, fused)));
      expect(out.subarray(0, D).every((v) => v === 9) && out.subarray(2 * D).every((v) => v === 9)).toBe(true);
    });
  }
});

describe('v3 engine: kernels against the scalar code', () => {
  afterEach(() => setKernelBackend('wasm'));

  const prompt = [7046, 25, 9283, 0, 696, 388, 345, 1754, 30, 198, 8830, 25, 314, 1069, 1677, 860, 11, 4299, 345, 13];
  /** Bits of every prompt row's logits (the window is 16: the last rows run clamped), then of 12 decode steps with slides. */
  function run(engine: FirmwareV3Engine, backend: 'js' | 'wasm'): Uint32Array[] {
    setKernelBackend(backend);
    const seq = engine.newSequence();
    const out = [new Uint32Array(engine.prefill(seq, prompt.slice(0, 10), { allLogits: true }).buffer)];
    let token = 314;
    for (let i = 0; i < 12; i++) {
      expect(engine.makeRoom(seq, 10)).not.toBe('context');
      const logits = engine.decode([seq], [token]).slice();
      out.push(new Uint32Array(logits.buffer));
      token = (token * 7 + i) % engine.config.vocabSize;
    }
    engine.rewind(seq, 0);
    out.push(new Uint32Array(engine.prefill(seq, prompt, { allLogits: true }).buffer));
    return out;
  }

  for (const [name, load] of [['dim 128', v3Model], ['dim 256', dim256Model]] as const) {
    for (const fma of [false, true]) {
      it(`${name}${fma ? ', fused' : ''}: every logit of prompts, slides and decode steps is the same, bit for bit`, async () => {
        const engine = new FirmwareV3Engine(await load(), { context: 16, fma });
        const simd = run(engine, 'wasm');
        const js = run(engine, 'js');
        expect(simd.length).toBe(js.length);
        simd.forEach((bits, i) => expect(bits.every((b, j) => b === js[i]![j]), `step ${i}`).toBe(true));
      });
    }
  }
});

// The WebAssembly SIMD kernels against two oracles: the plain-JS kernels (the fallback) and a
// float64 product over weights decoded one by one with halfs.ts, for every stored matrix type:
// the row-dot kernel over stored matrices, and the GEMM over the panels of placed ones.
import { afterEach, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/core/bytes/halfs.js';
import { activationArray, kernelInfo, matmul, matmulPath, setKernelBackend } from '../../src/core/kernels/matmul.js';
import { matmulJs } from '../../src/core/kernels/js.js';
import { placeWeights } from '../../src/core/kernels/place.js';
import { QBLOCK, type Matrix, type ScaleType } from '../../src/core/neo/tensor.js';

// Deterministic pseudo-random numbers (xorshift32), so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function floats(n: number, r: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

const scaleBits = (t: ScaleType, x: number) => (t === 'bf16' ? f32ToBf16(x) : f32ToF16(x));
const scaleValue = (t: ScaleType, h: number) => (t === 'bf16' ? bf16ToF32(h) : f16ToF32(h));

function makeMatrix(type: string, rows: number, cols: number, r: () => number): Matrix {
  switch (type) {
    case 'f32':
      return { type: 'f32', rows, cols, data: floats(rows * cols, r) };
    case 'bf16':
    case 'f16': {
      const data = Uint16Array.from(floats(rows * cols, r), (x) => (type === 'bf16' ? f32ToBf16(x) : f32ToF16(x)));
      return { type, rows, cols, data };
    }
    default: {
      const [q, scaleType] = type.split('/') as ['q4_0' | 'q8_0', ScaleType];
      const scales = Uint16Array.from({ length: (rows * cols) / QBLOCK }, () => scaleBits(scaleType, 0.001 + r() * 0.05));
      if (q === 'q4_0') {
        const nibbles = Uint8Array.from({ length: (rows * cols) / 2 }, () => Math.floor(r() * 256));
        return { type: q, scaleType, rows, cols, scales, nibbles };
      }
      const codes = Int8Array.from({ length: rows * cols }, () => Math.floor(r() * 255) - 127);
      return { type: q, scaleType, rows, cols, scales, codes };
    }
  }
}

/** Weight (r, c) decoded independently of the kernels. */
function weightAt(w: Matrix, r: number, c: number): number {
  const i = r * w.cols + c;
  switch (w.type) {
    case 'f32':
      return w.data[i]!;
    case 'bf16':
      return bf16ToF32(w.data[i]!);
    case 'f16':
      return f16ToF32(w.data[i]!);
    case 'q4_0': {
      const blk = Math.floor(i / QBLOCK);
      const k = i % QBLOCK;
      const byte = w.nibbles[blk * 16 + (k % 16)]!;
      return scaleValue(w.scaleType, w.scales[blk]!) * ((k < 16 ? byte & 15 : byte >> 4) - 8);
    }
    case 'q8_0':
      return scaleValue(w.scaleType, w.scales[Math.floor(i / QBLOCK)]!) * w.codes[i]!;
  }
}

/** Float64 y and Σ|w·x| per output (the scale of float32 rounding error). */
function oracle(x: Float32Array, w: Matrix, n: number, bias?: Float32Array): { y: Float64Array; mag: Float64Array } {
  const y = new Float64Array(n * w.rows);
  const mag = new Float64Array(n * w.rows);
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < w.rows; r++) {
      let s = bias ? bias[r]! : 0;
      let m = Math.abs(s);
      for (let c = 0; c < w.cols; c++) {
        const p = weightAt(w, r, c) * x[t * w.cols + c]!;
        s += p;
        m += Math.abs(p);
      }
      y[t * w.rows + r] = s;
      mag[t * w.rows + r] = m;
    }
  }
  return { y, mag };
}

function expectClose(got: Float32Array, want: ArrayLike<number>, mag: Float64Array): void {
  let worst = 0;
  for (let i = 0; i < mag.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (mag[i]! + 1e-30));
  // float32 accumulation over ≤ 1,000 terms: relative to Σ|w·x|, well under 2^-13
  expect(worst).toBeLessThan(1e-4);
}

const TYPES = ['f32', 'bf16', 'f16', 'q4_0/bf16', 'q4_0/f16', 'q8_0/bf16', 'q8_0/f16'];
// (rows, cols, n): single tokens, the 4-token path and its remainder, odd widths for the unquantized types
const SHAPES: Array<[number, number, number]> = [
  [7, 64, 1],
  [33, 128, 4],
  [16, 96, 6],
  [5, 512, 9],
];
const ODD_SHAPES: Array<[number, number, number]> = [
  [3, 1, 1],
  [9, 13, 5],
  [4, 37, 4],
  [6, 71, 2],
];

describe('WebAssembly SIMD matmul', () => {
  afterEach(() => setKernelBackend('wasm'));

  it('is what matmul() runs in Node', () => {
    expect(kernelInfo()).toMatchObject({ backend: 'wasm', sharedMemory: true });
  });

  for (const type of TYPES) {
    const shapes = type.includes('/') ? SHAPES : [...SHAPES, ...ODD_SHAPES];
    it.each(shapes)(`${type}: (%i × %i) weights, %i tokens, agrees with the oracles`, (rows, cols, n) => {
      const r = rng(rows * 1000 + cols * 10 + n);
      const w = makeMatrix(type, rows, cols, r);
      const x = floats(n * cols, r);
      for (const bias of [undefined, floats(rows, r)]) {
        const want = oracle(x, w, n, bias);
        const y = new Float32Array(n * rows);
        matmul(y, x, w, n, bias);
        expectClose(y, want.y, want.mag);
        const yJs = new Float32Array(n * rows);
        matmulJs(yJs, x, w, n, bias);
        expectClose(yJs, want.y, want.mag);
        expectClose(y, yJs, want.mag);
      }
    });
  }

  it('decodes every f16 and bf16 bit pattern exactly (subnormals, infinities, NaN)', () => {
    for (const type of ['f16', 'bf16'] as const) {
      // row r holds pattern r at column r % 8, zeros elsewhere; x = ones, so y[r] is that weight
      const rows = 65536;
      const data = new Uint16Array(rows * 8);
      for (let h = 0; h < rows; h++) data[h * 8 + (h % 8)] = h;
      const y = new Float32Array(rows);
      matmul(y, new Float32Array(8).fill(1), { type, rows, cols: 8, data }, 1);
      const decode = type === 'f16' ? f16ToF32 : bf16ToF32;
      const bad = [];
      for (let h = 0; h < rows; h++) {
        const want = decode(h) + 0; // the kernel adds +0 terms: −0 becomes +0
        if (!(Object.is(y[h], Math.fround(want)) || (Number.isNaN(want) && Number.isNaN(y[h]!)))) bad.push(h);
      }
      expect(bad.slice(0, 5)).toEqual([]);
    }
  });

  it('reads and writes activation arrays in the kernel memory in place', () => {
    const r = rng(7);
    const w = makeMatrix('q4_0/bf16', 64, 128, r);
    const x = activationArray(3 * 128);
    x.set(floats(3 * 128, r));
    const y = activationArray(3 * 64);
    matmul(y, x, w, 3);
    const want = oracle(x, w, 3);
    expectClose(y, want.y, want.mag);
  });

  it('falls back to the plain-JS kernels on request', () => {
    setKernelBackend('js');
    expect(kernelInfo().backend).toBe('js');
    const r = rng(11);
    const w = makeMatrix('q8_0/f16', 8, 64, r);
    const x = floats(2 * 64, r);
    const y = new Float32Array(16);
    matmul(y, x, w, 2);
    const want = oracle(x, w, 2);
    expectClose(y, want.y, want.mag);
  });
});

/** m placed as placeWeights() places a model's matrices (stored or float32 layout). */
function placed(m: Matrix, float32: boolean): Matrix {
  const empty = new Float32Array(0);
  return placeWeights({ wte: m, wpe: empty, layers: [], lnF: { weight: empty, bias: empty } }, { float32 }).wte;
}

// (rows, cols, n): rows not a multiple of the 8-row panel, tokens not a multiple of the 4-token
// tile (4, 5, 7, 37), single tokens over groups of 4 panels and the rest, TinyTalk's shapes; the
// unquantized types also widths not a multiple of 4
const GEMM_SHAPES: Array<[number, number, number]> = [
  [40, 64, 1],
  [37, 32, 2],
  [128, 128, 3],
  [8, 32, 4],
  [13, 64, 5],
  [33, 128, 7],
  [128, 128, 37],
  [512, 128, 9],
  [128, 512, 6],
  [1, 96, 11],
];
const GEMM_ODD_SHAPES: Array<[number, number, number]> = [
  [3, 1, 4],
  [9, 13, 5],
  [17, 37, 8],
  [6, 71, 10],
];

describe('GEMM over the panels of placed weights', () => {
  for (const type of TYPES) {
    const shapes = type.includes('/') ? GEMM_SHAPES : [...GEMM_SHAPES, ...GEMM_ODD_SHAPES];
    it.each(shapes)(`${type}: (%i × %i) weights, %i tokens, agrees with the oracles`, (rows, cols, n) => {
      const r = rng(rows * 7919 + cols * 31 + n);
      const w = makeMatrix(type, rows, cols, r);
      const x = floats(n * cols, r);
      for (const float32 of [false, true]) {
        const p = placed(w, float32);
        expect([matmulPath(p), matmulPath(w)]).toEqual(['gemm', 'rows']);
        for (const bias of [undefined, floats(rows, r)]) {
          const want = oracle(x, w, n, bias);
          const y = new Float32Array(n * rows);
          matmul(y, x, p, n, bias);
          expectClose(y, want.y, want.mag);
          const yJs = new Float32Array(n * rows);
          matmulJs(yJs, x, w, n, bias);
          expectClose(y, yJs, want.mag);
        }
      }
    });
  }

  it('gives each row the same bits whether it runs alone or with others (tiles and single rows)', () => {
    const r = rng(9);
    const w = makeMatrix('q4_0/bf16', 44, 96, r);
    const p = placed(w, false);
    const n = 9;
    const x = floats(n * 96, r);
    const bias = floats(44, r);
    const all = new Float32Array(n * 44);
    matmul(all, x, p, n, bias);
    for (let t = 0; t < n; t++) {
      const one = new Float32Array(44);
      matmul(one, x.subarray(t * 96, (t + 1) * 96), p, 1, bias);
      expect(Array.from(all.subarray(t * 44, (t + 1) * 44)), `row ${t}`).toEqual(Array.from(one));
    }
  });

  it('writes only its outputs: rows after the last, partial panel keep their values', () => {
    const r = rng(5);
    const w = placed(makeMatrix('f32', 11, 16, r), false);
    const y = activationArray(5 * 11 + 8).fill(7);
    matmul(y.subarray(0, 5 * 11), floats(5 * 16, r), w, 5);
    expect(Array.from(y.subarray(5 * 11))).toEqual(new Array(8).fill(7));
  });
});

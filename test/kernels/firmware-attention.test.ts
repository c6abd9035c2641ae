// firmwareAttentionWasm (firmware attention on the SIMD kernels) against the scalar float32 code of
// firmware/firmware-engine.ts, written out here: bit for bit, on random caches and through the engine
// with setKernelBackend('js') (scalar) against 'wasm' (the kernels).
import { afterEach, describe, expect, it } from 'vitest';
import { FirmwareEngine } from '../../src/core/firmware/firmware-engine.js';
import { firmwareSoftmax } from '../../src/core/firmware/numerics.js';
import { firmwareAttentionWasm, type Int8KV } from '../../src/core/kernels/firmware-attention.js';
import { activationArray, setKernelBackend } from '../../src/core/kernels/matmul.js';
import { v2Model } from '../engine/models.js';
import { fill, lcg } from '../helpers/random.js';

const fr = Math.fround;

/** The engine's scalar attention of one row: out[o..o+D) from q[o..o+D) over rows first..first+span. */
function scalarOracle(q: Float32Array, o: number, c: Int8KV, first: number, span: number, D: number, hs: number): Float32Array {
  const out = new Float32Array(D);
  const att = new Float32Array(span);
  for (let h = 0; h < D / hs; h++) {
    for (let t = 0; t < span; t++) {
      const ko = (first + t) * D + h * hs;
      let s = 0;
      for (let d = 0; d < hs; d++) s = fr(s + fr(q[o + h * hs + d]! * c.k[ko + d]!));
      att[t] = fr(s * c.kScale[first + t]!);
    }
    firmwareSoftmax(att, 0, span);
    for (let t = 0; t < span; t++) {
      const a = fr(att[t]! * c.vScale[first + t]!);
      for (let d = 0; d < hs; d++) out[h * hs + d] = fr(out[h * hs + d]! + fr(a * c.v[(first + t) * D + h * hs + d]!));
    }
  }
  return out;
}

/** rows int8 key and value rows of D codes in the kernel memory, scales like quantizeRow's (amax / 127). */
function randomCache(rows: number, D: number, seed: number): Int8KV {
  const r = lcg(seed);
  const c: Int8KV = { k: activationArray(rows * D, Int8Array), v: activationArray(rows * D, Int8Array), kScale: activationArray(rows), vScale: activationArray(rows) };
  for (let i = 0; i < rows * D; i++) (c.k[i] = Math.floor(r() * 255) - 127), (c.v[i] = Math.floor(r() * 255) - 127);
  for (let i = 0; i < rows; i++) (c.kScale[i] = fr(0.002 + r() * 0.05)), (c.vScale[i] = fr(0.002 + r() * 0.05));
  return c;
}

describe('firmwareAttentionWasm', () => {
  // (D, head size, span): TinyTalk's heads at the window's edges (80 on the device, 256), a wider head
  const cases: Array<[number, number, number]> = [
    [128, 8, 1],
    [128, 8, 3],
    [128, 8, 80],
    [128, 8, 256],
    [64, 16, 7],
  ];
  it.each(cases)('D %i, head size %i, %i keys: bit for bit the scalar code', (D, hs, span) => {
    const first = 256 + 3; // a later layer's rows, at an odd row
    const c = randomCache(first + 256, D, D + hs + span);
    const q = fill(activationArray(3 * D), span, 6);
    const out = activationArray(3 * D).fill(9);
    const o = D; // the second row of q and out
    expect(firmwareAttentionWasm(out, q, o, c, first, span, D, hs, firmwareSoftmax)).toBe(true);
    const want = scalarOracle(q, o, c, first, span, D, hs);
    expect(Array.from(out.subarray(o, o + D))).toEqual(Array.from(want));
    expect(out.subarray(0, o).every((x) => x === 9) && out.subarray(o + D).every((x) => x === 9)).toBe(true);
  });

  it('falls back (writes nothing) for arrays outside the kernel memory or with the kernels off', () => {
    const D = 128;
    const c = randomCache(4, D, 1);
    const out = activationArray(D);
    const q = fill(activationArray(D), 2, 6);
    expect(firmwareAttentionWasm(out, new Float32Array(q), 0, c, 0, 4, D, 8, firmwareSoftmax)).toBe(false);
    setKernelBackend('js');
    expect(firmwareAttentionWasm(out, q, 0, c, 0, 4, D, 8, firmwareSoftmax)).toBe(false);
    setKernelBackend('wasm');
    expect(out.every((x) => x === 0)).toBe(true);
  });
});

describe('firmware engine attention: kernels against the scalar code', () => {
  afterEach(() => setKernelBackend('wasm'));

  // window 16: the prompt fills it, then rows run clamped to its last row
  const prompt = [7815, 25, 10520, 0, 698, 389, 345, 1795, 30, 198, 9961, 25, 314, 1080, 1710, 867, 11, 4602, 345, 13];
  /** The logits' bits: every prompt row, then one decode step. */
  const run = (engine: FirmwareEngine, backend: 'js' | 'wasm'): Uint32Array[] => {
    setKernelBackend(backend);
    const seq = engine.newSequence();
    const all = engine.prefill(seq, prompt, { allLogits: true }).slice();
    return [new Uint32Array(all.buffer), new Uint32Array(engine.decode([seq], [257]).slice().buffer)];
  };
  const differing = (a: Uint32Array, b: Uint32Array): number => a.reduce((n, x, i) => n + (x === b[i] ? 0 : 1), 0);

  it('every logit of a prompt past the window and a decode step is the same, bit for bit', async () => {
    const engine = new FirmwareEngine(await v2Model(), { context: 16 });
    const [simdPrompt, simdDecode] = run(engine, 'wasm');
    const [jsPrompt, jsDecode] = run(engine, 'js');
    expect(simdPrompt!.length).toBe(prompt.length * engine.config.vocabSize);
    expect(differing(simdPrompt!, jsPrompt!)).toBe(0);
    expect(differing(simdDecode!, jsDecode!)).toBe(0);
  });
});

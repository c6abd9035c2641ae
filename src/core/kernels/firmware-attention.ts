// Firmware attention (firmware mode) on the WebAssembly SIMD kernels: scores over the int8 keys
// and the weighted sum of the int8 values in the device's float32 order (four keys, then four
// dimensions per vector, each lane keeping the scalar order), so the results are bit for bit
// those of the scalar code in firmware/firmware-engine.ts. The softmax between them stays with the
// caller: it emulates glibc's expf exactly. The kernels read the caches and activations in
// place, so those live in the shared kernel memory (activationArray): nothing is copied per
// token.
import { KernelScratch, offsetOf, wasmKernels, type KernelMemory } from './wasm.js';

/** One sequence's int8 keys and values (rows, D), with one float32 scale per row. */
export interface Int8KV {
  k: Int8Array;
  v: Int8Array;
  kScale: Float32Array;
  vScale: Float32Array;
}

/** The scores of every head, (H, span rounded up to 4), shared by the v2 and v3 kernels. */
const scores = new KernelScratch(Float32Array, 4096);

/** A cache as the kernels read it: codes (int8, or two int4 per byte) with float32 scales. */
interface CacheArrays {
  k: Int8Array | Uint8Array;
  v: Int8Array | Uint8Array;
  kScale: Float32Array;
  vScale: Float32Array;
}

/** Byte addresses of one attention call in the kernel memory: the first row's codes and scales. */
export interface AttentionAt {
  att: number;
  q: number;
  out: number;
  k: number;
  v: number;
  kScale: number;
  vScale: number;
}

/**
 * The SIMD path of both firmware attentions: finds the arrays in the kernel memory, runs
 * `scores`, the caller's softmax per head, then `values`. `codes`/`scales` are the byte offsets
 * of the first row within the code and scale arrays. False (nothing written) where the kernels
 * are off, the memory is not shared, an array lies outside it or the head size is not a
 * multiple of 8.
 */
export function attendOnKernels(
  out: Float32Array, q: Float32Array, o: number, cache: CacheArrays, codes: number, scales: number, span: number, D: number, hs: number,
  softmax: (att: Float32Array, offset: number, n: number) => void,
  scoresKernel: (k: KernelMemory, at: AttentionAt) => void, valuesKernel: (k: KernelMemory, at: AttentionAt) => void,
): boolean {
  const k = wasmKernels();
  if (!k?.shared || hs % 8 !== 0) return false;
  const outAt = offsetOf(k, out), qAt = offsetOf(k, q);
  const kAt = offsetOf(k, cache.k), vAt = offsetOf(k, cache.v);
  const ksAt = offsetOf(k, cache.kScale), vsAt = offsetOf(k, cache.vScale);
  if (outAt === undefined || qAt === undefined || kAt === undefined || vAt === undefined || ksAt === undefined || vsAt === undefined) {
    return false;
  }
  const H = D / hs;
  const stride = (span + 3) & ~3;
  const att = scores.get(k, H * stride);
  const at: AttentionAt = {
    att: offsetOf(k, att)!, q: qAt + 4 * o, out: outAt + 4 * o, k: kAt + codes, v: vAt + codes, kScale: ksAt + scales, vScale: vsAt + scales,
  };
  scoresKernel(k, at);
  for (let h = 0; h < H; h++) softmax(att, h * stride, span);
  valuesKernel(k, at);
  return true;
}

/**
 * Attention of one query row, every head, over `span` rows of a cache from row `first` (one
 * layer's keys 0..pos): out[o..o+D) from q[o..o+D), softmax(att, offset, n) applied to each
 * head's scores in between. Returns false, writing nothing, where the kernels are off, the
 * memory is not shared or an array lies outside it (the caller then runs its scalar code).
 */
export function firmwareAttentionWasm(
  out: Float32Array, q: Float32Array, o: number, cache: Int8KV, first: number, span: number, D: number, hs: number,
  softmax: (att: Float32Array, offset: number, n: number) => void,
): boolean {
  return attendOnKernels(
    out, q, o, cache, first * D, 4 * first, span, D, hs, softmax,
    (k, at) => k.kernels.firmwareScores(at.att, at.q, at.k, at.kScale, span, D, hs),
    (k, at) => k.kernels.firmwareValues(at.out, at.att, at.v, at.vScale, span, D, hs),
  );
}

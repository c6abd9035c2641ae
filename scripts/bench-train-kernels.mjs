// Benchmark of the training kernels (not a test): GFLOP/s of `gemm` at the shapes of a TinyTalk
// step of 8 × 256 tokens taken in chunks of 512 (D 128, F 512, V 14,019, classifier chunks of
// 64 positions), and the time of attention forward and backward for one layer of one chunk.
// Rates are per CPU-second of this process (one thread), so they hold on a machine shared with
// other work; 2 flops per multiply-add.
//
//   npm run build && node scripts/bench-train-kernels.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { KernelArena, at } = await import(join(root, 'dist/core/kernels/train.js'));

const V = 14019, D = 128, F = 512, N = 512, R = 64, NH = 16, B = 2, T = 256;
const big = V * F;
const arena = new KernelArena();
const buf = {};
for (const name of ['a', 'b', 'c']) arena.reserve(big, Float32Array, (v) => (buf[name] = v));
const T4 = T + 4;
for (const [name, n] of [['q', N * D], ['k', N * D], ['v', N * D], ['o', N * D], ['do', N * D], ['dq', N * D], ['dk', N * D], ['dv', N * D], ['lse', N * NH], ['s', (4 * (D / NH) + 2) * T4]]) {
  arena.reserve(n, Float32Array, (v) => (buf[name] = v));
}
const k = arena.build().kernels;
for (const x of Object.values(buf)) for (let i = 0; i < x.length; i++) x[i] = Math.sin(i) * 0.1;
const [a, b, c] = [at(buf.a), at(buf.b), at(buf.c)];

/** Milliseconds of CPU per call of f, over at least 0.3 s of CPU after 3 warm-up calls. */
function cpuMs(f) {
  for (let i = 0; i < 3; i++) f();
  const t0 = process.cpuUsage();
  let n = 0;
  while (process.cpuUsage(t0).user < 300_000) f(), n++;
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1000 / n;
}

// [name, multiply-adds, gemm(c, a, b, bias, M, N, K, sam, sak, ldb, ldc, accumulate) arguments]
const shapes = [
  [`forward ${N}×${D} → ${F} (c_fc)`, N * D * F, [N, F, D, D, 1, F, F, 0]],
  [`forward ${N}×${F} → ${D} (c_proj)`, N * F * D, [N, D, F, F, 1, D, D, 0]],
  [`forward ${N}×${D} → ${D} (q, k, v, out)`, N * D * D, [N, D, D, D, 1, D, D, 0]],
  [`dX = dY·W, ${N}×${F} · ${F}×${D}`, N * F * D, [N, D, F, F, 1, D, D, 1]],
  [`dW += dYᵀ·X, ${F}×${D}, K ${N}`, F * D * N, [F, D, N, 1, F, D, D, 1]],
  [`classifier ${V}×${R}, K ${D}`, V * R * D, [V, R, D, D, 1, R, R, 0]],
  [`dlnf ${R}×${D}, K ${V}`, R * D * V, [R, D, V, 1, R, D, D, 0]],
  [`dwte ${V}×${D}, K ${R}`, V * D * R, [V, D, R, R, 1, D, D, 1]],
];
for (const [name, macs, args] of shapes) {
  const ms = cpuMs(() => k.gemmStrided(c, a, b, 0, ...args));
  console.log(`gemm ${name.padEnd(34)} ${((2 * macs) / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`);
}
const p = (name) => at(buf[name]);
const fwd = cpuMs(() => k.attentionForward(p('o'), p('lse'), p('q'), p('k'), p('v'), B, T, D, NH, 0, 1, p('s')));
const bwd = cpuMs(() => k.attentionBackward(p('dq'), p('dk'), p('dv'), p('do'), p('q'), p('k'), p('v'), p('lse'), B, T, D, NH, 0, 1, p('s')));
console.log(`attention ${B}×${T} tokens, ${NH} heads of ${D / NH}: forward ${fwd.toFixed(2)} ms, backward ${bwd.toFixed(2)} ms`);

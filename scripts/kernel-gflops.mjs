// `npm run bench:kernels`: how close the WebAssembly kernels come to this machine's 128-bit SIMD
// limit. Measures the peak with a probe of its own (independent f32x4 multiply-add chains, no
// memory traffic), then GFLOP/s of each kernel on TinyTalk's shapes, one thread: the GEMM over
// packed panels for a 250-token prompt and for one token, the row-dot kernel over stored
// matrices for comparison, and the attention of a 250-token prompt. Best of several rounds,
// kernels interleaved, so a loaded machine disturbs them alike. Needs `npm run build`; run with
// `node --no-liftoff` (as the npm script does): V8 otherwise starts WebAssembly in its baseline
// compiler and swaps in optimized code from a background thread, late on a loaded machine.
import { compileAssemblyScript } from './build-kernels.mjs';

const dist = new URL('../dist/', import.meta.url);
const { kernelMemory, kernelArray, offsetOf } = await import(new URL('core/kernels/wasm.js', dist));
const { kernelKind } = await import(new URL('core/kernels/module.js', dist));
const { placeWeights } = await import(new URL('core/kernels/place.js', dist));
const { attendRows } = await import(new URL('core/kernels/attention.js', dist));

const ROUNDS = 15;
const WARM_MS = 100;
const CHAINS = 12; // enough chains to hide the multiply and add latencies, few enough to stay in registers

// a = a·x + y on CHAINS independent vectors: a multiply and an add per chain and step, nothing
// loaded, nothing the compiler can hoist (each step needs the last). x and y are arguments: as
// constants, Binaryen would put a v128.const into every use, which V8 builds anew each time
// (several instructions) and the probe would measure that instead.
const probe = `
export function peak(steps: i32, xs: f32, ys: f32): f32 {
  const x = f32x4.splat(xs), y = f32x4.splat(ys);
  ${Array.from({ length: CHAINS }, (_, i) => `let a${i} = f32x4.splat(${i + 1});`).join(' ')}
  for (let s = 0; s < steps; s++) {
    ${Array.from({ length: CHAINS }, (_, i) => `a${i} = f32x4.add(f32x4.mul(a${i}, x), y);`).join(' ')}
  }
  let t = f32x4.splat(0);
  ${Array.from({ length: CHAINS }, (_, i) => `t = f32x4.add(t, a${i});`).join(' ')}
  return f32x4.extract_lane(t, 0);
}`;
const memory = new WebAssembly.Memory({ initial: 1 });
const { peak } = new WebAssembly.Instance(new WebAssembly.Module(await compileAssemblyScript(probe, false, 'the peak probe')), { env: { memory } }).exports;

/** Best GFLOP/s of each case over interleaved rounds, after WARM_MS untimed (caches); a case is [flops per call, call]. */
function measure(cases) {
  for (const [, call] of cases) for (const t0 = performance.now(); performance.now() - t0 < WARM_MS; ) call();
  const best = cases.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach(([flops, call], i) => {
      const reps = Math.max(1, Math.round(2e7 / flops));
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) call();
      best[i] = Math.min(best[i], (performance.now() - t0) / reps);
    });
  }
  return best.map((ms, i) => cases[i][0] / ms / 1e6);
}

const k = kernelMemory();
if (!k) throw new Error('no WebAssembly SIMD here');
const empty = new Float32Array(0);
/** A random Q4_0 matrix (bf16 scales) placed as the engine places TinyTalk's. */
function q4Matrix(rows, cols) {
  const scales = Uint16Array.from({ length: (rows * cols) / 32 }, () => 0x3c00 + Math.floor(Math.random() * 256)); // bf16 ≈ 0.008..
  const nibbles = Uint8Array.from({ length: (rows * cols) / 2 }, () => Math.floor(Math.random() * 256));
  const weights = { wte: { type: 'q4_0', scaleType: 'bf16', rows, cols, scales, nibbles }, wpe: empty, layers: [], lnF: { weight: empty, bias: empty } };
  return { stored: placeWeights(weights).wte, float32: placeWeights(weights, { float32: true }).wte };
}
const random = (a) => {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() - 0.5;
  return a;
};

const PEAK_STEPS = 1 << 10; // short calls, many of them: see measure()
const rows = [['peak probe', `${CHAINS} chains of f32x4 mul + add`, ...measure([[PEAK_STEPS * CHAINS * 8, () => peak(PEAK_STEPS, 0.999999, 1e-7)]])]];
const peakGflops = rows[0][2];

// TinyTalk: q, k, v, out (128 × 128), fc (512 × 128), proj (128 × 512), classifier (14,019 × 128)
const SHAPES = [['q, k, v, out', 128, 128], ['fc', 512, 128], ['proj', 128, 512], ['classifier', 14019, 128]];
for (const [name, r, c] of SHAPES) {
  const w = q4Matrix(r, c);
  const panels = offsetOf(k, k.panels.get(w.stored));
  const stored = [offsetOf(k, w.stored.scales), offsetOf(k, w.stored.nibbles)];
  const f32 = offsetOf(k, w.float32.data);
  const cases = [];
  const labels = [];
  for (const n of [250, 1]) {
    const x = offsetOf(k, random(kernelArray(k, n * c)));
    const y = offsetOf(k, kernelArray(k, n * r));
    const flops = 2 * n * r * c;
    labels.push(`gemm over panels, ${n} token${n > 1 ? 's' : ''}`);
    cases.push([flops, () => k.kernels.gemm(y, x, panels, 0, n, r, c, 0, Math.ceil(r / 8))]);
    labels.push(`row dots, float32 rows, ${n} token${n > 1 ? 's' : ''}`);
    cases.push([flops, () => k.kernels.matmul(0, y, x, f32, 0, 0, n, r, c, 0, r)]);
    labels.push(`row dots, Q4_0 rows, ${n} token${n > 1 ? 's' : ''}`);
    cases.push([flops, () => k.kernels.matmul(kernelKind(w.stored), y, x, stored[0], stored[1], 0, n, r, c, 0, r)]);
  }
  measure(cases).forEach((g, i) => rows.push([labels[i], `${name} (${r} × ${c})`, g]));
}

// attention of a 250-token prompt, one layer: 16 heads of 8, row i over keys 0..i
{
  const D = 128, T = 250;
  const K = random(kernelArray(k, T * D)), V = random(kernelArray(k, T * D)), q = random(kernelArray(k, T * D));
  const out = kernelArray(k, T * D);
  const kv = Array.from({ length: T }, () => ({ k: K, v: V }));
  const first = new Int32Array(T), span = Int32Array.from({ length: T }, (_, i) => i + 1);
  const scores = kernelArray(k, T);
  const flops = 4 * D * ((T * (T + 1)) / 2); // q·k and the weighted values: 2 multiply-adds per key and dimension
  rows.push(['attendRows (softmax, exp included)', `250-token prompt, 16 heads × 8`, ...measure([[flops, () => attendRows(out, q, kv, first, span, T, D, 16, 1, scores)]])]);
}

console.log(`| kernel | shape | GFLOP/s | of peak |\n|---|---|---|---|`);
for (const [kernel, shape, g] of rows) console.log(`| ${kernel} | ${shape} | ${g.toFixed(1)} | ${((100 * g) / peakGflops).toFixed(0)}% |`);
console.log(`\n(one thread, best of ${ROUNDS} interleaved rounds; Node ${process.version})`);

// Kernel threads (src/node/threads): with two threads sharing the kernel memory, large products
// and many-row attention are split over a worker and give what one thread gives — the same
// float32 operations on each row — and the plain-JS kernels agree to within float rounding.
import { afterAll, describe, expect, it } from 'vitest';
import { attendRow, attendRows } from '../../src/core/kernels/attention.js';
import { matmulJs } from '../../src/core/kernels/js.js';
import { activationArray, kernelInfo, matmul, matmulPath } from '../../src/core/kernels/matmul.js';
import { placeWeights } from '../../src/core/kernels/place.js';
import { startKernelThreads, type KernelThreads } from '../../src/node/threads/pool.js';
import type { Matrix } from '../../src/core/neo/tensor.js';
import { fill } from '../helpers/random.js';

// The matrix and inputs of a prompt-sized product: 24 tokens through a (512 × 128) Q4_0 matrix.
const rows = 512, cols = 128, n = 24;
const scales = Uint16Array.from({ length: (rows * cols) / 32 }, (_, i) => 0x3c00 + (i % 97)); // f16 near 1
const nibbles = Uint8Array.from({ length: (rows * cols) / 2 }, (_, i) => (i * 37 + 11) & 255);
const q4: Matrix = { type: 'q4_0', scaleType: 'f16', rows, cols, scales, nibbles };
const x = fill(activationArray(n * cols), 3, 2);
const noWeights = { wpe: new Float32Array(0), layers: [], lnF: { weight: new Float32Array(0), bias: new Float32Array(0) } };
const q4Placed = placeWeights({ wte: q4, ...noWeights }).wte; // stored layout, with its GEMM panels
const q4Float32 = placeWeights({ wte: q4, ...noWeights }, { float32: true }).wte;
// A GEMM split unevenly: 100 rows = 12 full panels and a partial one, 11 tokens = 2 tiles + 3.
const oddRows = 100, oddN = 11;
const odd = placeWeights({ wte: { ...q4, rows: oddRows, scales: scales.subarray(0, oddRows * 4), nibbles: nibbles.subarray(0, oddRows * 64) }, ...noWeights }).wte;
const oddX = fill(activationArray(oddN * cols), 8, 2);
const oddBias = fill(activationArray(oddRows), 9, 1);

// Attention of a 64-token prompt (causal: row i sees keys 0..i).
const D = 128, H = 16, T = 64; // Σ span · D ≥ the threshold for splitting
const K = fill(activationArray(T * D), 4, 2), V = fill(activationArray(T * D), 5, 1), q = fill(activationArray(T * D), 6, 2);
const kv = Array.from({ length: T }, () => ({ k: K, v: V }));
const first = new Int32Array(T);
const span = Int32Array.from({ length: T }, (_, i) => i + 1);

function oneThreadResults() {
  const y = activationArray(n * rows);
  matmul(y, x, q4, n);
  const placed = activationArray(n * rows);
  matmul(placed, x, q4Float32, n);
  const gemm = activationArray(n * rows);
  matmul(gemm, x, q4Placed, n);
  const gemmOdd = activationArray(oddN * oddRows);
  matmul(gemmOdd, oddX, odd, oddN, oddBias);
  const att = activationArray(T * D);
  attendRows(att, q, kv, first, span, T, D, H, 1, new Float32Array(T));
  return { y, placed, gemm, gemmOdd, att };
}

describe('kernel threads', () => {
  let threads: KernelThreads | undefined;
  afterAll(async () => threads?.close());

  it('split products and attention over two threads, giving one thread\'s results', async () => {
    const one = oneThreadResults();
    threads = await startKernelThreads(2);
    expect(threads.threads).toBe(2);
    expect(kernelInfo().threads).toBe(2);
    const two = oneThreadResults();
    expect(Array.from(two.y)).toEqual(Array.from(one.y));
    expect([matmulPath(q4Float32), matmulPath(q4Placed), matmulPath(odd)]).toEqual(['gemm', 'gemm', 'gemm']);
    expect(Array.from(two.placed)).toEqual(Array.from(one.placed));
    expect(Array.from(two.gemm)).toEqual(Array.from(one.gemm));
    expect(Array.from(two.gemmOdd)).toEqual(Array.from(one.gemmOdd));
    expect(Array.from(two.att)).toEqual(Array.from(one.att));
    // and the plain-JS kernels agree to within float rounding
    const js = new Float32Array(n * rows);
    matmulJs(js, Float32Array.from(x), q4, n);
    for (let i = 0; i < js.length; i++) expect(Math.abs(two.y[i]! - js[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(js[i]!)));
    for (let i = 0; i < js.length; i++) expect(Math.abs(two.gemm[i]! - js[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(js[i]!)));
    const jsOdd = new Float32Array(oddN * oddRows);
    matmulJs(jsOdd, Float32Array.from(oddX), odd, oddN, Float32Array.from(oddBias));
    for (let i = 0; i < jsOdd.length; i++) expect(Math.abs(two.gemmOdd[i]! - jsOdd[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(jsOdd[i]!)));
    const out = new Float32Array(D);
    for (const i of [0, 17, T - 1]) {
      attendRow(out, 0, Float32Array.from(q.subarray(i * D, (i + 1) * D)), 0, Float32Array.from(K), Float32Array.from(V), 0, i + 1, D, H, 1, new Float32Array(T));
      for (let d = 0; d < D; d++) expect(Math.abs(two.att[i * D + d]! - out[d]!)).toBeLessThan(2e-6);
    }
  });

  it('stop when closed, and products run on the calling thread again', async () => {
    await threads!.close(); // resolves: the workers exit (an unsettled wait here once hung `bench --threads 2`)
    threads = undefined;
    expect(kernelInfo().threads).toBe(1);
    const y = activationArray(n * rows);
    matmul(y, x, q4, n);
    expect(Array.from(y)).toEqual(Array.from(oneThreadResults().y));
  });

  it('take a thread count from 1 to 64', async () => {
    await expect(startKernelThreads(0)).rejects.toThrow(/threads must be an integer from 1 to 64, got 0/);
    await expect(startKernelThreads(1.5)).rejects.toThrow(/threads must be an integer/);
  });
});

// The float32 reference's element-wise layers (LayerNorm, gelu_new, softmax), one row at a time.
// Storage is float32; sums inside a row run in float64 (at least as accurate as PyTorch's float32).

/** out[o..o+n) = LayerNorm(x[o..o+n)) · weight + bias, for `rows` rows of n. */
export function layerNorm(
  out: Float32Array, // (rows, n)
  x: Float32Array, // (rows, n)
  weight: Float32Array, // (n)
  bias: Float32Array, // (n)
  rows: number,
  eps: number,
): void {
  const n = weight.length;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[o + i]!;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      const d = x[o + i]! - mean;
      variance += d * d;
    }
    const inv = 1 / Math.sqrt(variance / n + eps);
    for (let i = 0; i < n; i++) out[o + i] = (x[o + i]! - mean) * inv * weight[i]! + bias[i]!;
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** gelu_new (GPT-2's tanh approximation), in place over x[0..n). */
export function geluNew(x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    x[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

/** Softmax in place over x[o..o+n). */
export function softmax(x: Float32Array, o: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[o + i]! > max) max = x[o + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[o + i]! - max);
    x[o + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) x[o + i] = x[o + i]! / sum;
}

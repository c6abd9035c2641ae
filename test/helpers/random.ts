// Deterministic test data: a small linear congruential generator, so each test's inputs are
// the same on every run and every machine.

/** Numbers in [0, 1), the same sequence for the same seed. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** a filled with values in [−scale/2, scale/2) from lcg(seed); returns a. */
export function fill(a: Float32Array, seed: number, scale: number): Float32Array {
  const next = lcg(seed);
  for (let i = 0; i < a.length; i++) a[i] = (next() - 0.5) * scale;
  return a;
}

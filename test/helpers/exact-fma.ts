// An independent oracle for a float32 fused multiply-add: a × b + c computed exactly with BigInt
// integers (each float32 is m · 2^e), then rounded once to float32, to nearest with ties to even.
// Normal-range inputs and results only (what the tests feed it).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** x (a float32 value) as m · 2^e with m an integer. */
function parts(x: number): { m: bigint; e: number } {
  f32[0] = x;
  const u = u32[0]!;
  const exp = (u >>> 23) & 0xff;
  const frac = u & 0x7fffff;
  const m = BigInt(exp === 0 ? frac : frac | 0x800000) * (u >>> 31 ? -1n : 1n);
  return { m, e: (exp === 0 ? 1 : exp) - 127 - 23 };
}

export function exactFmaf(a: number, b: number, c: number): number {
  const pa = parts(a), pb = parts(b), pc = parts(c);
  const pe = pa.e + pb.e;
  const e0 = Math.min(pe, pc.e);
  const total = pa.m * pb.m * 2n ** BigInt(pe - e0) + pc.m * 2n ** BigInt(pc.e - e0);
  if (total === 0n) return 0;
  const negative = total < 0n;
  let mag = negative ? -total : total;
  let e = e0;
  const bits = mag.toString(2).length;
  if (bits > 24) {
    const shift = BigInt(bits - 24);
    const rest = mag & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    mag >>= shift;
    e += bits - 24;
    if (rest > half || (rest === half && (mag & 1n) === 1n)) mag += 1n; // may become 2^24: still exact below
  }
  const value = Number(mag) * 2 ** e;
  return negative ? -value : value;
}

// fmaf(a, b, c) = a × b + c with one float32 rounding, as a fused multiply-add instruction gives
// it (the ESP32's madd.s, or x86 FMA under -ffp-contract=fast). JavaScript has no float32 fma:
// a × b is exact in a double (24 + 24 bits), but rounding the double sum and then to float32
// rounds twice, which is wrong exactly when the double sum lands on a float32 midpoint that the
// true sum is not on. That case is detected and settled by the sign of the double sum's error.
const fr = Math.fround;

export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact
  const s = p + c;
  const r = fr(s);
  if (r === s) return r; // the true sum is within half a double ulp of a float32: r is its rounding
  const bp = s - c;
  const err = p - bp + (c - (s - bp)); // p + c − s exactly (TwoSum)
  if (err === 0) return r;
  const other = 2 * s - r; // the float32 on the far side when s is a midpoint
  if (fr(other) !== other) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}

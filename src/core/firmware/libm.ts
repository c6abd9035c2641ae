// expf and tanhf as the host C library (glibc) computes them, so that firmware mode matches the
// device engine's host build: expf is Arm's table-driven algorithm evaluated in double (glibc
// since 2.27), tanhf the fdlibm float algorithm (with its expm1f), every step in float32.
// Math.exp / Math.tanh round a double result instead and differ by an ulp on 0.06% / 5.5% of
// inputs — enough to flip an int8 KV-cache code now and then and move a logit by 0.01.
const fr = Math.fround;
const LN2_HI = fr(6.9313812256e-1);
const LN2_LO = fr(9.0580006145e-6);
const INV_LN2 = fr(1.4426950216);
const Q1 = fr(-3.3333335072e-2);
const Q2 = fr(1.5873016091e-3);
const Q3 = fr(-7.9365076090e-5);
const Q4 = fr(4.0082177293e-6);
const Q5 = fr(-2.0109921195e-7);
// fdlibm tests the bits of |x|; these are the same thresholds as float32 values
const HALF_LN2 = fr(0.3465735912322998); // 0x3eb17218
const THREE_HALVES_LN2 = fr(1.0397207736968994); // 0x3f851592
const TWENTY_SEVEN_LN2 = fr(18.714973449707031); // 0x4195b844
const TINY = 2 ** -25; // 0x33000000

/** exp(x) − 1 in float32, fdlibm's algorithm (x finite, |x| < 88.7, as tanhf calls it). */
export function expm1f(x: number): number {
  const negative = x < 0;
  const ax = Math.abs(x);
  if (ax >= TWENTY_SEVEN_LN2 && negative) return -1;
  let k = 0;
  let c = 0;
  if (ax > HALF_LN2) {
    // x = k·ln2 + r
    let hi: number;
    let lo: number;
    if (ax < THREE_HALVES_LN2) {
      hi = negative ? fr(x + LN2_HI) : fr(x - LN2_HI);
      lo = negative ? -LN2_LO : LN2_LO;
      k = negative ? -1 : 1;
    } else {
      k = Math.trunc(fr(fr(INV_LN2 * x) + (negative ? -0.5 : 0.5)));
      hi = fr(x - fr(k * LN2_HI));
      lo = fr(k * LN2_LO);
    }
    x = fr(hi - lo);
    c = fr(fr(hi - x) - lo);
  } else if (ax < TINY) {
    return x;
  }
  const hfx = fr(0.5 * x);
  const hxs = fr(x * hfx);
  const r1 = fr(1 + fr(hxs * fr(Q1 + fr(hxs * fr(Q2 + fr(hxs * fr(Q3 + fr(hxs * fr(Q4 + fr(hxs * Q5))))))))));
  const t = fr(3 - fr(r1 * hfx));
  let e = fr(hxs * fr(fr(r1 - t) / fr(6 - fr(x * t))));
  if (k === 0) return fr(x - fr(fr(x * e) - hxs));
  e = fr(fr(x * fr(e - c)) - c);
  e = fr(e - hxs);
  if (k === -1) return fr(fr(0.5 * fr(x - e)) - 0.5);
  if (k === 1) {
    if (x < -0.25) return fr(-2 * fr(e - fr(x + 0.5)));
    return fr(1 + fr(2 * fr(x - e)));
  }
  // adding k to the exponent field is an exact multiplication by 2^k (no overflow for tanhf's |x| < 22);
  // powers of two from the table: `2 ** k` costs more than the rest of the function
  const twoK = POW2[k + 160]!, twoMinusK = POW2[160 - k]!;
  if (k <= -2 || k > 56) return fr(fr(1 - fr(e - x)) * twoK - 1);
  if (k < 23) return fr(fr(fr(1 - twoMinusK) - fr(e - x)) * twoK);
  return fr(fr(fr(x - fr(e + twoMinusK)) + 1) * twoK);
}

const TANH_BIG = 22; // 0x41b00000
const TANH_SMALL = 2 ** -55; // 0x24000000

/** tanh(x) in float32, fdlibm's algorithm. */
export function tanhf(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x)) return x;
  let z: number;
  if (ax < TANH_BIG) {
    if (ax < TANH_SMALL) return fr(x * fr(1 + x)); // also ±0
    if (ax >= 1) {
      const t = expm1f(fr(2 * ax));
      z = fr(1 - fr(2 / fr(t + 2)));
    } else {
      const t = expm1f(fr(-2 * ax));
      z = fr(-t / fr(t + 2));
    }
  } else {
    z = 1;
  }
  return x >= 0 ? z : -z;
}

// expf: x·32/ln2 = k + r (|r| ≤ 1/2), exp(x) = 2^(k/32) · 2^(r/32), 2^(r/32) by a cubic.
const EXP2_TAB_BITS = [
  0x3ff0000000000000n, 0x3fefd9b0d3158574n, 0x3fefb5586cf9890fn, 0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn, 0x3fef54873168b9aan, 0x3fef387a6e756238n, 0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n, 0x3feef1a7373aa9cbn, 0x3feedea64c123422n, 0x3feece086061892dn,
  0x3feebfdad5362a27n, 0x3feeb42b569d4f82n, 0x3feeab07dd485429n, 0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn, 0x3fee9f75e8ec5f74n, 0x3feea11473eb0187n, 0x3feea589994cce13n,
  0x3feeace5422aa0dbn, 0x3feeb737b0cdc5e5n, 0x3feec49182a3f090n, 0x3feed503b23e255dn,
  0x3feee89f995ad3adn, 0x3feeff76f2fb5e47n, 0x3fef199bdd85529cn, 0x3fef3720dcef9069n,
  0x3fef5818dcfba487n, 0x3fef7c97337b9b5fn, 0x3fefa4afa2a490dan, 0x3fefd0765b6e4540n,
];
/** 2^(i/32) as the table stores it (its words hold 2^(i/32) minus i in the exponent field's low bits). */
const EXP2_TAB = (() => {
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  return Float64Array.from(EXP2_TAB_BITS, (bits, i) => {
    u64[0] = bits + (BigInt(i) << 47n);
    return f64[0]!;
  });
})();
const EXP_N = 32;
/** 2^e for the exponents expf can need, e = −160..129 (POW2[e + 160]). */
const POW2 = Float64Array.from({ length: 290 }, (_, j) => 2 ** (j - 160));
const INV_LN2_N = 1.4426950408889634 * EXP_N; // 0x1.71547652b82fep+0 · 32
const SHIFT = 6755399441055744; // 0x1.8p+52: adding it rounds to an integer
const EC0 = 0.05550361559341535 / EXP_N / EXP_N / EXP_N; // 0x1.c6af84b912394p-5 / N³
const EC1 = 0.2402284522445722 / EXP_N / EXP_N; // 0x1.ebfce50fac4f3p-3 / N²
const EC2 = 0.6931471806916203 / EXP_N; // 0x1.62e42ff0c52d6p-1 / N

/** e^x in float32, glibc's algorithm. */
export function expf(x: number): number {
  if (!(x < 88.72283172607422)) return x > 0 || x === Infinity ? Infinity : x; // overflow, NaN
  if (x < -103.97207641601562) return 0; // underflow (and −∞)
  const z = INV_LN2_N * x;
  const k = z + SHIFT - SHIFT;
  const r = z - k;
  const i = k & (EXP_N - 1); // k mod 32 (two's complement keeps it ≥ 0)
  const s = EXP2_TAB[i]! * POW2[((k - i) >> 5) + 160]!;
  const y = (EC0 * r + EC1) * (r * r) + (EC2 * r + 1);
  return fr(y * s);
}

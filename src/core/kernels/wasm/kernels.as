// WebAssembly SIMD kernels, AssemblyScript source (compiled by scripts/build.mjs; the .as
// extension keeps tsc away). y (n, rows) = x (n, cols) · Wᵀ (+ bias) over rows [r0, r1), for
// every stored weight type. Pointers are byte offsets into the imported memory; all
// accumulation is float32 (SIMD lanes), codes and 16-bit floats are widened exactly.
// Tokens are taken four at a time so each decoded weight row serves four inputs (prefill).

// Matrix kinds, as numbered by src/core/kernels/runtime.ts.
const F32: i32 = 0;
const BF16: i32 = 1;
const F16: i32 = 2;
const Q4_BF16: i32 = 3;
const Q4_F16: i32 = 4;
const Q8_BF16: i32 = 5;
const Q8_F16: i32 = 6;

// ---- 16-bit floats ----

// IEEE half → float32: magnitude bits moved into float32 position and rescaled by 2^112
// (exact for normals and subnormals); exponent 31 becomes Inf/NaN.
@inline function f16x4(h: v128): v128 {
  const mag = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const special = i32x4.eq(v128.and(h, i32x4.splat(0x7c00)), i32x4.splat(0x7c00));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  return v128.or(v128.or(mag, v128.and(special, i32x4.splat(0x7f800000))), sign);
}

@inline function f16(h: u32): f32 {
  return f32x4.extract_lane(f16x4(i32x4.splat(h)), 0);
}

@inline function scaleOf(p: usize, isF16: bool): f32 {
  const h = <u32>load<u16>(p);
  return isF16 ? f16(h) : reinterpret<f32>(h << 16);
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function biasOf(bias: usize, r: i32): f32 {
  return bias ? load<f32>(bias + (<usize>r << 2)) : 0;
}

// ---- float32 ----

function f32Rows(y: usize, x: usize, w: usize, bias: usize, n: i32, rows: i32, cols: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>cols << 2;
  const c16 = cols & ~15;
  const c4 = cols & ~3;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const x0 = x + <usize>t * rowBytes, x1 = x0 + rowBytes, x2 = x1 + rowBytes, x3 = x2 + rowBytes;
    for (let r = r0; r < r1; r++) {
      const wr = w + <usize>r * rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let k: usize = 0;
      for (; k < <usize>c4 << 2; k += 16) {
        const wv = v128.load(wr + k);
        a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(x0 + k)));
        a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(x1 + k)));
        a2 = f32x4.add(a2, f32x4.mul(wv, v128.load(x2 + k)));
        a3 = f32x4.add(a3, f32x4.mul(wv, v128.load(x3 + k)));
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (; k < rowBytes; k += 4) {
        const wk = load<f32>(wr + k);
        s0 += wk * load<f32>(x0 + k);
        s1 += wk * load<f32>(x1 + k);
        s2 += wk * load<f32>(x2 + k);
        s3 += wk * load<f32>(x3 + k);
      }
      const b = biasOf(bias, r);
      const yo = y + ((<usize>t * rows + r) << 2);
      store<f32>(yo, s0 + b);
      store<f32>(yo + (<usize>rows << 2), s1 + b);
      store<f32>(yo + (<usize>rows << 3), s2 + b);
      store<f32>(yo + <usize>rows * 12, s3 + b);
    }
  }
  for (; t < n; t++) {
    const xt = x + <usize>t * rowBytes;
    for (let r = r0; r < r1; r++) {
      const wr = w + <usize>r * rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let k: usize = 0;
      for (; k < <usize>c16 << 2; k += 64) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(wr + k), v128.load(xt + k)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(wr + k, 16), v128.load(xt + k, 16)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(wr + k, 32), v128.load(xt + k, 32)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(wr + k, 48), v128.load(xt + k, 48)));
      }
      for (; k < <usize>c4 << 2; k += 16) a0 = f32x4.add(a0, f32x4.mul(v128.load(wr + k), v128.load(xt + k)));
      let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
      for (; k < rowBytes; k += 4) s += load<f32>(wr + k) * load<f32>(xt + k);
      store<f32>(y + ((<usize>t * rows + r) << 2), s + biasOf(bias, r));
    }
  }
}

// ---- bf16 / f16: eight weights per load, widened to two float32 vectors ----

@inline function halfLo(h: v128, isF16: bool): v128 {
  const u = i32x4.extend_low_i16x8_u(h);
  return isF16 ? f16x4(u) : i32x4.shl(u, 16);
}

@inline function halfHi(h: v128, isF16: bool): v128 {
  const u = i32x4.extend_high_i16x8_u(h);
  return isF16 ? f16x4(u) : i32x4.shl(u, 16);
}

@inline function halfScalar(h: u32, isF16: bool): f32 {
  return isF16 ? f16(h) : reinterpret<f32>(h << 16);
}

@inline function halfRows(y: usize, x: usize, w: usize, bias: usize, n: i32, rows: i32, cols: i32, r0: i32, r1: i32, isF16: bool): void {
  const xBytes = <usize>cols << 2;
  const c8 = <usize>(cols & ~7);
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const x0 = x + <usize>t * xBytes, x1 = x0 + xBytes, x2 = x1 + xBytes, x3 = x2 + xBytes;
    for (let r = r0; r < r1; r++) {
      const wr = w + ((<usize>r * cols) << 1);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let k: usize = 0;
      for (; k < c8; k += 8) {
        const h = v128.load(wr + (k << 1));
        const lo = halfLo(h, isF16), hi = halfHi(h, isF16);
        const o = k << 2;
        a0 = f32x4.add(a0, f32x4.add(f32x4.mul(lo, v128.load(x0 + o)), f32x4.mul(hi, v128.load(x0 + o, 16))));
        a1 = f32x4.add(a1, f32x4.add(f32x4.mul(lo, v128.load(x1 + o)), f32x4.mul(hi, v128.load(x1 + o, 16))));
        a2 = f32x4.add(a2, f32x4.add(f32x4.mul(lo, v128.load(x2 + o)), f32x4.mul(hi, v128.load(x2 + o, 16))));
        a3 = f32x4.add(a3, f32x4.add(f32x4.mul(lo, v128.load(x3 + o)), f32x4.mul(hi, v128.load(x3 + o, 16))));
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (; k < <usize>cols; k++) {
        const wk = halfScalar(<u32>load<u16>(wr + (k << 1)), isF16);
        s0 += wk * load<f32>(x0 + (k << 2));
        s1 += wk * load<f32>(x1 + (k << 2));
        s2 += wk * load<f32>(x2 + (k << 2));
        s3 += wk * load<f32>(x3 + (k << 2));
      }
      const b = biasOf(bias, r);
      const yo = y + ((<usize>t * rows + r) << 2);
      store<f32>(yo, s0 + b);
      store<f32>(yo + (<usize>rows << 2), s1 + b);
      store<f32>(yo + (<usize>rows << 3), s2 + b);
      store<f32>(yo + <usize>rows * 12, s3 + b);
    }
  }
  for (; t < n; t++) {
    const xt = x + <usize>t * xBytes;
    for (let r = r0; r < r1; r++) {
      const wr = w + ((<usize>r * cols) << 1);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let k: usize = 0;
      for (; k < c8; k += 8) {
        const h = v128.load(wr + (k << 1));
        const o = k << 2;
        a0 = f32x4.add(a0, f32x4.mul(halfLo(h, isF16), v128.load(xt + o)));
        a1 = f32x4.add(a1, f32x4.mul(halfHi(h, isF16), v128.load(xt + o, 16)));
      }
      let s = hsum(f32x4.add(a0, a1));
      for (; k < <usize>cols; k++) s += halfScalar(<u32>load<u16>(wr + (k << 1)), isF16) * load<f32>(xt + (k << 2));
      store<f32>(y + ((<usize>t * rows + r) << 2), s + biasOf(bias, r));
    }
  }
}

// ---- Q4_0 / Q8_0: one 32-weight block = eight float32 vectors of exact codes ----

// Block sum Σ code·x over 32 weights (c0..c7: codes of weights 0-3, 4-7, ..., 28-31).
@inline function blockDot(c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, c7: v128, xb: usize): v128 {
  const p0 = f32x4.add(f32x4.mul(c0, v128.load(xb)), f32x4.mul(c1, v128.load(xb, 16)));
  const p1 = f32x4.add(f32x4.mul(c2, v128.load(xb, 32)), f32x4.mul(c3, v128.load(xb, 48)));
  const p2 = f32x4.add(f32x4.mul(c4, v128.load(xb, 64)), f32x4.mul(c5, v128.load(xb, 80)));
  const p3 = f32x4.add(f32x4.mul(c6, v128.load(xb, 96)), f32x4.mul(c7, v128.load(xb, 112)));
  return f32x4.add(f32x4.add(p0, p1), f32x4.add(p2, p3));
}

// Q4 nibbles: byte k holds weight k (low) and weight k + 16 (high); codes − 8 as int8.
@inline function q4Lo(v: v128): v128 {
  return i8x16.sub(v128.and(v, i8x16.splat(15)), i8x16.splat(8));
}
@inline function q4Hi(v: v128): v128 {
  return i8x16.sub(i8x16.shr_u(v, 4), i8x16.splat(8));
}
@inline function c32(v: v128, part: i32): v128 {
  // int8x16 → four float32 vectors; part 0..3 picks which quarter.
  const h = part < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return f32x4.convert_i32x4_s((part & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h));
}

@inline function quantRows(y: usize, x: usize, scales: usize, codes: usize, bias: usize, n: i32, rows: i32, cols: i32, r0: i32, r1: i32, isF16: bool, q4: bool): void {
  const nb = cols >> 5;
  const xBytes = <usize>cols << 2;
  const codeBytes: usize = q4 ? 16 : 32;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const x0 = x + <usize>t * xBytes, x1 = x0 + xBytes, x2 = x1 + xBytes, x3 = x2 + xBytes;
    for (let r = r0; r < r1; r++) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let b = 0; b < nb; b++) {
        const blk = <usize>r * nb + b;
        const s = f32x4.splat(scaleOf(scales + (blk << 1), isF16));
        const cp = codes + blk * codeBytes;
        const lo = q4 ? q4Lo(v128.load(cp)) : v128.load(cp);
        const hi = q4 ? q4Hi(v128.load(cp)) : v128.load(cp, 16);
        const c0 = c32(lo, 0), c1 = c32(lo, 1), c2 = c32(lo, 2), c3 = c32(lo, 3);
        const c4 = c32(hi, 0), c5 = c32(hi, 1), c6 = c32(hi, 2), c7 = c32(hi, 3);
        const o = <usize>b << 7;
        a0 = f32x4.add(a0, f32x4.mul(s, blockDot(c0, c1, c2, c3, c4, c5, c6, c7, x0 + o)));
        a1 = f32x4.add(a1, f32x4.mul(s, blockDot(c0, c1, c2, c3, c4, c5, c6, c7, x1 + o)));
        a2 = f32x4.add(a2, f32x4.mul(s, blockDot(c0, c1, c2, c3, c4, c5, c6, c7, x2 + o)));
        a3 = f32x4.add(a3, f32x4.mul(s, blockDot(c0, c1, c2, c3, c4, c5, c6, c7, x3 + o)));
      }
      const bv = biasOf(bias, r);
      const yo = y + ((<usize>t * rows + r) << 2);
      store<f32>(yo, hsum(a0) + bv);
      store<f32>(yo + (<usize>rows << 2), hsum(a1) + bv);
      store<f32>(yo + (<usize>rows << 3), hsum(a2) + bv);
      store<f32>(yo + <usize>rows * 12, hsum(a3) + bv);
    }
  }
  for (; t < n; t++) {
    const xt = x + <usize>t * xBytes;
    for (let r = r0; r < r1; r++) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let b = 0;
      // two blocks per step: independent accumulators hide the add latency
      for (; b + 2 <= nb; b += 2) {
        const blk = <usize>r * nb + b;
        const cp = codes + blk * codeBytes;
        const o = <usize>b << 7;
        const lo = q4 ? q4Lo(v128.load(cp)) : v128.load(cp);
        const hi = q4 ? q4Hi(v128.load(cp)) : v128.load(cp, 16);
        const d0 = blockDot(c32(lo, 0), c32(lo, 1), c32(lo, 2), c32(lo, 3), c32(hi, 0), c32(hi, 1), c32(hi, 2), c32(hi, 3), xt + o);
        const lo2 = q4 ? q4Lo(v128.load(cp + codeBytes)) : v128.load(cp + codeBytes);
        const hi2 = q4 ? q4Hi(v128.load(cp + codeBytes)) : v128.load(cp + codeBytes, 16);
        const d1 = blockDot(c32(lo2, 0), c32(lo2, 1), c32(lo2, 2), c32(lo2, 3), c32(hi2, 0), c32(hi2, 1), c32(hi2, 2), c32(hi2, 3), xt + o + 128);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(scaleOf(scales + (blk << 1), isF16)), d0));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(scaleOf(scales + (blk << 1) + 2, isF16)), d1));
      }
      for (; b < nb; b++) {
        const blk = <usize>r * nb + b;
        const cp = codes + blk * codeBytes;
        const lo = q4 ? q4Lo(v128.load(cp)) : v128.load(cp);
        const hi = q4 ? q4Hi(v128.load(cp)) : v128.load(cp, 16);
        const d = blockDot(c32(lo, 0), c32(lo, 1), c32(lo, 2), c32(lo, 3), c32(hi, 0), c32(hi, 1), c32(hi, 2), c32(hi, 3), xt + (<usize>b << 7));
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(scaleOf(scales + (blk << 1), isF16)), d));
      }
      store<f32>(y + ((<usize>t * rows + r) << 2), hsum(f32x4.add(a0, a1)) + biasOf(bias, r));
    }
  }
}

/** y (n, rows) = x (n, cols) · Wᵀ + bias over rows [r0, r1). w: data or block scales; aux: block codes. */
export function matmul(kind: i32, y: usize, x: usize, w: usize, aux: usize, bias: usize, n: i32, rows: i32, cols: i32, r0: i32, r1: i32): void {
  switch (kind) {
    case F32: f32Rows(y, x, w, bias, n, rows, cols, r0, r1); break;
    case BF16: halfRows(y, x, w, bias, n, rows, cols, r0, r1, false); break;
    case F16: halfRows(y, x, w, bias, n, rows, cols, r0, r1, true); break;
    case Q4_BF16: quantRows(y, x, w, aux, bias, n, rows, cols, r0, r1, false, true); break;
    case Q4_F16: quantRows(y, x, w, aux, bias, n, rows, cols, r0, r1, true, true); break;
    case Q8_BF16: quantRows(y, x, w, aux, bias, n, rows, cols, r0, r1, false, false); break;
    case Q8_F16: quantRows(y, x, w, aux, bias, n, rows, cols, r0, r1, true, false); break;
  }
}

// ---- attention of one query row over cached keys and values ----

// e^x for x ≤ 0 in float64: x = n·ln2 + r, |r| ≤ ln2/2, Taylor series of e^r to r^11 (relative
// error < 1e-12), times 2^n. Written out because the standard library's expf keeps lookup
// tables in static memory, and this module owns none (the memory is laid out by runtime.ts).
@inline function expNeg(x: f64): f64 {
  if (x < -700) return 0;
  const n = Math.round(x * 1.4426950408889634);
  const r = x - n * 0.6931471805599453;
  let p = 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  return p * reinterpret<f64>(<i64>(<i32>n + 1023) << 52);
}

/**
 * Every head of one query row against `span` cached rows (row stride D floats):
 * out_h = softmax(scale · q_h · K_hᵀ) · V_h. hs (head size) is a multiple of 4.
 * scores: scratch of span floats.
 */
export function attend(out: usize, q: usize, k: usize, v: usize, span: i32, D: i32, hs: i32, scale: f32, scores: usize): void {
  const rowBytes = <usize>D << 2;
  const headBytes = <usize>hs << 2;
  for (let ho: usize = 0; ho < rowBytes; ho += headBytes) {
    let max: f32 = -Infinity;
    if (hs == 8) {
      const q0 = v128.load(q + ho), q1 = v128.load(q + ho, 16);
      for (let j = 0; j < span; j++) {
        const kr = k + <usize>j * rowBytes + ho;
        const s = hsum(f32x4.add(f32x4.mul(q0, v128.load(kr)), f32x4.mul(q1, v128.load(kr, 16)))) * scale;
        store<f32>(scores + (<usize>j << 2), s);
        max = s > max ? s : max;
      }
    } else {
      for (let j = 0; j < span; j++) {
        const kr = k + <usize>j * rowBytes + ho;
        let a = f32x4.splat(0);
        for (let d: usize = 0; d < headBytes; d += 16) a = f32x4.add(a, f32x4.mul(v128.load(q + ho + d), v128.load(kr + d)));
        const s = hsum(a) * scale;
        store<f32>(scores + (<usize>j << 2), s);
        max = s > max ? s : max;
      }
    }
    let sum: f64 = 0;
    for (let j = 0; j < span; j++) {
      const e = <f32>expNeg(<f64>load<f32>(scores + (<usize>j << 2)) - <f64>max);
      store<f32>(scores + (<usize>j << 2), e);
      sum += e;
    }
    const inv = f32x4.splat(<f32>(1 / sum));
    for (let d: usize = 0; d < headBytes; d += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let j = 0;
      for (; j + 2 <= span; j += 2) {
        const vr = v + <usize>j * rowBytes + ho + d;
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(scores + (<usize>j << 2))), v128.load(vr)));
        a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(scores + (<usize>j << 2), 4)), v128.load(vr + rowBytes)));
      }
      if (j < span) a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(scores + (<usize>j << 2))), v128.load(v + <usize>j * rowBytes + ho + d)));
      v128.store(out + ho + d, f32x4.mul(f32x4.add(a0, a1), inv));
    }
  }
}

// WebAssembly SIMD kernels, AssemblyScript source (compiled by scripts/build-kernels.mjs; the
// .as extension keeps tsc away). Pointers are byte offsets into the imported memory.
// - matmul: y (n, rows) = x (n, cols) · Wᵀ (+ bias) over rows [r0, r1), for every stored weight
//   type (matrices not placed by placeWeights); float32 accumulation in SIMD lanes, codes and
//   16-bit floats widened exactly. Prompts: four tokens at a time, so each decoded weight row
//   serves four inputs.
// - gemm, pack: the same product over placed weights, packed once into float32 panels.
// - expand: a stored matrix's float32 values (placing weights as float32).
// - attend, attendRows: attention of query rows over cached keys and values.
// - gelu: gelu_new in place.
// - firmwareMatmul: Q4_0 products in the firmware's summation order, bit for bit.
// - firmwareScores, firmwareValues: firmware attention over int8 caches in the device's order,
//   bit for bit.
// - training: gemm (C = or += A·B, A possibly transposed), transpose, addInto, columnSums,
//   layernorm, gelu and attention forward/backward, crossEntropy: GPT-Neo training in float32.
// - firmwareV3Quantize, firmwareV3Matvec, firmwareV3Scores, firmwareV3Values (last section): the
//   version-3 firmware's int8 activations and products and int4-cache attention, bit for bit.

// Matrix kinds, as numbered by src/core/kernels/module.ts (kernelKind).
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

// [Σ a, Σ b, Σ c, Σ d]: the four horizontal sums as one vector.
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 2, 4, 6), v128.shuffle<f32>(ab, cd, 1, 3, 5, 7));
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
    const yt = y + ((<usize>t * rows) << 2);
    const yStride = <usize>rows << 2;
    let r = r0;
    // 4 tokens × 2 rows per step: each loaded vector serves two or four products (14 vectors live)
    for (; r + 2 <= r1 && (cols & 3) == 0; r += 2) {
      const wa = w + <usize>r * rowBytes, wb = wa + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 16) {
        const va = v128.load(wa + k), vb = v128.load(wb + k);
        const v0 = v128.load(x0 + k), v1 = v128.load(x1 + k), v2 = v128.load(x2 + k), v3 = v128.load(x3 + k);
        a0 = f32x4.add(a0, f32x4.mul(va, v0));
        b0 = f32x4.add(b0, f32x4.mul(vb, v0));
        a1 = f32x4.add(a1, f32x4.mul(va, v1));
        b1 = f32x4.add(b1, f32x4.mul(vb, v1));
        a2 = f32x4.add(a2, f32x4.mul(va, v2));
        b2 = f32x4.add(b2, f32x4.mul(vb, v2));
        a3 = f32x4.add(a3, f32x4.mul(va, v3));
        b3 = f32x4.add(b3, f32x4.mul(vb, v3));
      }
      const ba = biasOf(bias, r), bb = biasOf(bias, r + 1);
      const s0 = f32x4.add(hsum4(a0, b0, a1, b1), f32x4(ba, bb, ba, bb));
      const s1 = f32x4.add(hsum4(a2, b2, a3, b3), f32x4(ba, bb, ba, bb));
      const yo = yt + (<usize>r << 2);
      v128.store64_lane(yo, s0, 0);
      v128.store64_lane(yo + yStride, s0, 1);
      v128.store64_lane(yo + (yStride << 1), s1, 0);
      v128.store64_lane(yo + yStride * 3, s1, 1);
    }
    for (; r < r1; r++) {
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
      const yo = yt + (<usize>r << 2);
      store<f32>(yo, s0 + b);
      store<f32>(yo + yStride, s1 + b);
      store<f32>(yo + (yStride << 1), s2 + b);
      store<f32>(yo + yStride * 3, s3 + b);
    }
  }
  for (; t < n; t++) {
    const xt = x + <usize>t * rowBytes;
    const yt = y + ((<usize>t * rows) << 2);
    let r = r0;
    // four rows per step (decode, the classifier): the input vector serves four products
    for (; r + 4 <= r1 && (cols & 7) == 0; r += 4) {
      const wa = w + <usize>r * rowBytes, wb = wa + rowBytes, wc = wb + rowBytes, wd = wc + rowBytes;
      let a0 = f32x4.splat(0), b0 = f32x4.splat(0), c0 = f32x4.splat(0), d0 = f32x4.splat(0);
      let a1 = f32x4.splat(0), b1 = f32x4.splat(0), c1 = f32x4.splat(0), d1 = f32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 32) {
        const v0 = v128.load(xt + k), v1 = v128.load(xt + k, 16);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(wa + k), v0));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(wb + k), v0));
        c0 = f32x4.add(c0, f32x4.mul(v128.load(wc + k), v0));
        d0 = f32x4.add(d0, f32x4.mul(v128.load(wd + k), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(wa + k, 16), v1));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(wb + k, 16), v1));
        c1 = f32x4.add(c1, f32x4.mul(v128.load(wc + k, 16), v1));
        d1 = f32x4.add(d1, f32x4.mul(v128.load(wd + k, 16), v1));
      }
      const s = hsum4(f32x4.add(a0, a1), f32x4.add(b0, b1), f32x4.add(c0, c1), f32x4.add(d0, d1));
      const bv = bias ? v128.load(bias + (<usize>r << 2)) : f32x4.splat(0);
      v128.store(yt + (<usize>r << 2), f32x4.add(s, bv));
    }
    for (; r < r1; r++) {
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

// ---- GEMM: many rows (prompts, batched decoding) over weights packed in panels ----
//
// Panels: W (rows, cols) repacked once at placement, k-major in groups of 8 output rows:
// panel p holds, for k = 0..cols−1, the 8 weights W[8p .. 8p+7][k] (rows past the end are 0),
// i.e. (⌈rows/8⌉, cols, 8) floats. Inner loop (outer product, as XNNPACK's f32 gemm
// wasmsimd loadsplat micro-kernels): per k, one input value per token splatted × the panel's two
// vectors, into 4 tokens × 8 outputs of register accumulators: no horizontal sums, and every
// loaded weight serves four tokens. TinyTalk's panels are 4–16 KB (L1); the token tiles stream.

// The first min(count, 4) floats at p as a vector, zeros after (the last, partial panel).
@inline function loadUpTo4(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (count > 3) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

@inline function storeUpTo4(p: usize, v: v128, count: i32): void {
  if (count > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  if (count > 3) store<f32>(p, f32x4.extract_lane(v, 3), 12);
}

// One token's 8 outputs (m of them real: the last panel may be partial).
@inline function storeOutputs(p: usize, lo: v128, hi: v128, m: i32): void {
  if (m >= 8) {
    v128.store(p, lo);
    v128.store(p, hi, 16);
  } else {
    storeUpTo4(p, lo, m);
    storeUpTo4(p + 16, hi, m - 4);
  }
}

// The bias of panel p's 8 outputs (m of them real) as two vectors; zeros without a bias.
@inline function panelBias(bias: usize, r: i32, m: i32, hi: bool): v128 {
  if (!bias) return f32x4.splat(0);
  const b = bias + (<usize>r << 2) + (hi ? 16 : 0);
  return m >= 8 ? v128.load(b) : loadUpTo4(b, hi ? m - 4 : m);
}

/**
 * y (n, rows) = x (n, cols) · Wᵀ (+ bias) for the outputs of panels [p0, p1) (rows 8·p0 ..
 * min(8·p1, rows)); panels as above. Every output is summed the same way whatever n and the
 * tile it falls in: bias, then + x[k]·w[k] for k = 0, 1, ..., cols − 1, one float32 add at a
 * time. So a row's result does not depend on the rows computed with it (a sequence decoded
 * alone or in a batch, a prompt's last row or all its rows give the same bits).
 */
export function gemm(y: usize, x: usize, panels: usize, bias: usize, n: i32, rows: i32, cols: i32, p0: i32, p1: i32): void {
  const xStride = <usize>cols << 2;
  const yStride = <usize>rows << 2;
  const panelBytes = <usize>cols << 5;
  const n4 = n & ~3;
  // 4 tokens × 8 outputs per tile: 8 accumulators, 2 weight vectors, 4 splats live (14 of 16
  // registers); the panel (4–16 KB for TinyTalk) stays in L1 while the token tiles stream past
  for (let p = p0; p < p1; p++) {
    const wp = panels + <usize>p * panelBytes;
    const r = p << 3;
    const m = min(8, rows - r);
    const b0 = panelBias(bias, r, m, false), b1 = panelBias(bias, r, m, true);
    for (let t = 0; t < n4; t += 4) {
      const x0 = x + <usize>t * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
      let a0 = b0, a1 = b1, c0 = b0, c1 = b1, d0 = b0, d1 = b1, e0 = b0, e1 = b1;
      let xo: usize = 0;
      for (let k: usize = 0; k < panelBytes; k += 32) {
        const w0 = v128.load(wp + k), w1 = v128.load(wp + k, 16);
        const s0 = v128.load32_splat(x0 + xo), s1 = v128.load32_splat(x1 + xo);
        const s2 = v128.load32_splat(x2 + xo), s3 = v128.load32_splat(x3 + xo);
        a0 = f32x4.add(a0, f32x4.mul(s0, w0));
        a1 = f32x4.add(a1, f32x4.mul(s0, w1));
        c0 = f32x4.add(c0, f32x4.mul(s1, w0));
        c1 = f32x4.add(c1, f32x4.mul(s1, w1));
        d0 = f32x4.add(d0, f32x4.mul(s2, w0));
        d1 = f32x4.add(d1, f32x4.mul(s2, w1));
        e0 = f32x4.add(e0, f32x4.mul(s3, w0));
        e1 = f32x4.add(e1, f32x4.mul(s3, w1));
        xo += 4;
      }
      const yo = y + <usize>t * yStride + (<usize>r << 2);
      storeOutputs(yo, a0, a1, m);
      storeOutputs(yo + yStride, c0, c1, m);
      storeOutputs(yo + (yStride << 1), d0, d1, m);
      storeOutputs(yo + yStride * 3, e0, e1, m);
    }
  }
  // the other tokens (one decoded token: all of them) one at a time, 4 panels × 8 outputs per
  // step: 8 independent add chains hide the add latency
  for (let t = n4; t < n; t++) {
    const xt = x + <usize>t * xStride;
    const yt = y + <usize>t * yStride;
    let p = p0;
    for (; p + 4 <= p1 && ((p + 4) << 3) <= rows; p += 4) {
      const wa = panels + <usize>p * panelBytes, wb = wa + panelBytes, wc = wb + panelBytes, wd = wc + panelBytes;
      const r = p << 3;
      let a0 = panelBias(bias, r, 8, false), a1 = panelBias(bias, r, 8, true);
      let c0 = panelBias(bias, r + 8, 8, false), c1 = panelBias(bias, r + 8, 8, true);
      let d0 = panelBias(bias, r + 16, 8, false), d1 = panelBias(bias, r + 16, 8, true);
      let e0 = panelBias(bias, r + 24, 8, false), e1 = panelBias(bias, r + 24, 8, true);
      let xo: usize = 0;
      let k: usize = 0;
      for (; k + 64 <= panelBytes; k += 64) {
        const s = v128.load32_splat(xt + xo), u = v128.load32_splat(xt + xo, 4);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wa + k)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wa + k, 16)));
        c0 = f32x4.add(c0, f32x4.mul(s, v128.load(wb + k)));
        c1 = f32x4.add(c1, f32x4.mul(s, v128.load(wb + k, 16)));
        d0 = f32x4.add(d0, f32x4.mul(s, v128.load(wc + k)));
        d1 = f32x4.add(d1, f32x4.mul(s, v128.load(wc + k, 16)));
        e0 = f32x4.add(e0, f32x4.mul(s, v128.load(wd + k)));
        e1 = f32x4.add(e1, f32x4.mul(s, v128.load(wd + k, 16)));
        a0 = f32x4.add(a0, f32x4.mul(u, v128.load(wa + k, 32)));
        a1 = f32x4.add(a1, f32x4.mul(u, v128.load(wa + k, 48)));
        c0 = f32x4.add(c0, f32x4.mul(u, v128.load(wb + k, 32)));
        c1 = f32x4.add(c1, f32x4.mul(u, v128.load(wb + k, 48)));
        d0 = f32x4.add(d0, f32x4.mul(u, v128.load(wc + k, 32)));
        d1 = f32x4.add(d1, f32x4.mul(u, v128.load(wc + k, 48)));
        e0 = f32x4.add(e0, f32x4.mul(u, v128.load(wd + k, 32)));
        e1 = f32x4.add(e1, f32x4.mul(u, v128.load(wd + k, 48)));
        xo += 8;
      }
      if (k < panelBytes) {
        const s = v128.load32_splat(xt + xo);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wa + k)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wa + k, 16)));
        c0 = f32x4.add(c0, f32x4.mul(s, v128.load(wb + k)));
        c1 = f32x4.add(c1, f32x4.mul(s, v128.load(wb + k, 16)));
        d0 = f32x4.add(d0, f32x4.mul(s, v128.load(wc + k)));
        d1 = f32x4.add(d1, f32x4.mul(s, v128.load(wc + k, 16)));
        e0 = f32x4.add(e0, f32x4.mul(s, v128.load(wd + k)));
        e1 = f32x4.add(e1, f32x4.mul(s, v128.load(wd + k, 16)));
      }
      const yo = yt + (<usize>r << 2);
      v128.store(yo, a0);
      v128.store(yo, a1, 16);
      v128.store(yo, c0, 32);
      v128.store(yo, c1, 48);
      v128.store(yo, d0, 64);
      v128.store(yo, d1, 80);
      v128.store(yo, e0, 96);
      v128.store(yo, e1, 112);
    }
    for (; p < p1; p++) {
      const wp = panels + <usize>p * panelBytes;
      const r = p << 3;
      const m = min(8, rows - r);
      let a0 = panelBias(bias, r, m, false), a1 = panelBias(bias, r, m, true);
      let xo: usize = 0;
      for (let k: usize = 0; k < panelBytes; k += 32) {
        const s = v128.load32_splat(xt + xo);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp + k)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp + k, 16)));
        xo += 4;
      }
      storeOutputs(yt + (<usize>r << 2), a0, a1, m);
    }
  }
}

// The 4 × 4 transpose of a, b, c, d (rows) written as 4 vectors (columns) at p, p + 32, p + 64, p + 96.
@inline function storeTransposed(p: usize, a: v128, b: v128, c: v128, d: v128): void {
  const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const cd0 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), cd1 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(p, v128.shuffle<f32>(ab0, cd0, 0, 1, 4, 5));
  v128.store(p, v128.shuffle<f32>(ab0, cd0, 2, 3, 6, 7), 32);
  v128.store(p, v128.shuffle<f32>(ab1, cd1, 0, 1, 4, 5), 64);
  v128.store(p, v128.shuffle<f32>(ab1, cd1, 2, 3, 6, 7), 96);
}

/**
 * panels (⌈rows/8⌉, cols, 8) = the float32 values of the stored matrix of `kind` at w (data or
 * block scales) and aux (block codes), packed as above. group: scratch of 8·cols floats, where
 * each group of 8 rows is decoded (rows past the end as zeros) before it is transposed in 4 × 4
 * blocks (cols not a multiple of 4: the last columns one by one).
 */
export function pack(kind: i32, panels: usize, w: usize, aux: usize, rows: i32, cols: i32, group: usize): void {
  const nb = <usize>(cols >> 5);
  const codeBytes: usize = kind == Q4_BF16 || kind == Q4_F16 ? 16 : 32;
  const rowBytes = <usize>cols << 2;
  const c4 = <usize>(cols & ~3);
  for (let r0 = 0; r0 < rows; r0 += 8) {
    for (let j = 0; j < 8; j++) {
      const ri = <usize>(r0 + j);
      const row = group + <usize>j * rowBytes;
      // row ri's place in each stored layout: float32 and 16-bit data, or its blocks' scales and codes
      if (ri >= <usize>rows) memory.fill(row, 0, rowBytes);
      else if (kind == F32) memory.copy(row, w + ri * rowBytes, rowBytes);
      else if (kind == BF16 || kind == F16) expand(kind, row, w + ((ri * cols) << 1), 0, 1, cols);
      else expand(kind, row, w + ((ri * nb) << 1), aux + ri * nb * codeBytes, 1, cols);
    }
    const dst = panels + <usize>r0 * rowBytes; // panel r0/8: (cols, 8)
    let c: usize = 0;
    for (; c < c4; c += 4) {
      const o = c << 2, g = group + o;
      storeTransposed(dst + (c << 5), v128.load(g), v128.load(g + rowBytes), v128.load(g + 2 * rowBytes), v128.load(g + 3 * rowBytes));
      storeTransposed(dst + (c << 5) + 16, v128.load(g + 4 * rowBytes), v128.load(g + 5 * rowBytes), v128.load(g + 6 * rowBytes), v128.load(g + 7 * rowBytes));
    }
    for (; c < <usize>cols; c++) {
      for (let j: usize = 0; j < 8; j++) store<f32>(dst + (c << 5) + (j << 2), load<f32>(group + j * rowBytes + (c << 2)));
    }
  }
}

// ---- float32 values of a stored matrix (placing weights as float32) ----

/** dst (rows, cols) float32 = the weights of kind at w (data or block scales) and aux (block codes). */
export function expand(kind: i32, dst: usize, w: usize, aux: usize, rows: i32, cols: i32): void {
  const count = <usize>rows * cols;
  if (kind == BF16 || kind == F16) {
    const isF16 = kind == F16;
    let i: usize = 0;
    for (; i + 8 <= count; i += 8) {
      const h = v128.load(w + (i << 1));
      v128.store(dst + (i << 2), halfLo(h, isF16));
      v128.store(dst + (i << 2), halfHi(h, isF16), 16);
    }
    for (; i < count; i++) store<f32>(dst + (i << 2), halfScalar(<u32>load<u16>(w + (i << 1)), isF16));
    return;
  }
  if (kind == F32) {
    memory.copy(dst, w, count << 2);
    return;
  }
  const isF16 = kind == Q4_F16 || kind == Q8_F16;
  const q4 = kind == Q4_BF16 || kind == Q4_F16;
  const codeBytes: usize = q4 ? 16 : 32;
  const blocks = count >> 5;
  for (let blk: usize = 0; blk < blocks; blk++) {
    const s = f32x4.splat(scaleOf(w + (blk << 1), isF16));
    const cp = aux + blk * codeBytes;
    const lo = q4 ? q4Lo(v128.load(cp)) : v128.load(cp);
    const hi = q4 ? q4Hi(v128.load(cp)) : v128.load(cp, 16);
    const o = dst + (blk << 7);
    v128.store(o, f32x4.mul(s, c32(lo, 0)));
    v128.store(o, f32x4.mul(s, c32(lo, 1)), 16);
    v128.store(o, f32x4.mul(s, c32(lo, 2)), 32);
    v128.store(o, f32x4.mul(s, c32(lo, 3)), 48);
    v128.store(o, f32x4.mul(s, c32(hi, 0)), 64);
    v128.store(o, f32x4.mul(s, c32(hi, 1)), 80);
    v128.store(o, f32x4.mul(s, c32(hi, 2)), 96);
    v128.store(o, f32x4.mul(s, c32(hi, 3)), 112);
  }
}

// ---- attention of one query row over cached keys and values ----

// e^x for float32 lanes, x ≤ 0 (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial,
// times 2^n; relative error about 1 ulp). Below −87 the result is 0, as float32 e^x rounds.
// n is rounded (to nearest, ties to even) by adding 1.5·2^23 + 127: the sum's low mantissa bits
// are then n + 127, which shifted into the exponent field make 2^n without a float→int conversion
// (i32x4.trunc_sat and f32x4.nearest take several instructions each on x86).
@inline function expNeg4(x: v128): v128 {
  const biased = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504)), f32x4.splat(12583039));
  const n = f32x4.sub(biased, f32x4.splat(12583039));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scaled = f32x4.mul(e, i32x4.shl(biased, 23)); // 2^n for n ≥ −126, which x ≥ −87 ensures
  return v128.and(scaled, f32x4.ge(x, f32x4.splat(-87)));
}

// Head size 8, four heads at a time (one vector of scores per key): scores, exp and the weighted
// sum of values each touch a key once per group. scores: scratch of 4·span floats.
function attend8(out: usize, q: usize, k: usize, v: usize, span: i32, D: i32, scale: f32, scores: usize): void {
  const rowBytes = <usize>D << 2;
  const sv = f32x4.splat(scale);
  const end = <usize>span << 4;
  for (let g: usize = 0; g < rowBytes; g += 128) {
    const qg = q + g;
    const q0 = v128.load(qg), q1 = v128.load(qg, 16), q2 = v128.load(qg, 32), q3 = v128.load(qg, 48);
    const q4 = v128.load(qg, 64), q5 = v128.load(qg, 80), q6 = v128.load(qg, 96), q7 = v128.load(qg, 112);
    let max = f32x4.splat(-Infinity);
    let kr = k + g;
    for (let j: usize = 0; j < end; j += 16) {
      const s = f32x4.mul(hsum4(
        f32x4.add(f32x4.mul(q0, v128.load(kr)), f32x4.mul(q1, v128.load(kr, 16))),
        f32x4.add(f32x4.mul(q2, v128.load(kr, 32)), f32x4.mul(q3, v128.load(kr, 48))),
        f32x4.add(f32x4.mul(q4, v128.load(kr, 64)), f32x4.mul(q5, v128.load(kr, 80))),
        f32x4.add(f32x4.mul(q6, v128.load(kr, 96)), f32x4.mul(q7, v128.load(kr, 112))),
      ), sv);
      v128.store(scores + j, s);
      max = f32x4.max(max, s);
      kr += rowBytes;
    }
    let sum = f32x4.splat(0);
    for (let j: usize = 0; j < end; j += 16) {
      const e = expNeg4(f32x4.sub(v128.load(scores + j), max));
      v128.store(scores + j, e);
      sum = f32x4.add(sum, e);
    }
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
    let vr = v + g;
    for (let j: usize = 0; j < end; j += 16) {
      const e = v128.load(scores + j);
      const e0 = v128.shuffle<f32>(e, e, 0, 0, 0, 0), e1 = v128.shuffle<f32>(e, e, 1, 1, 1, 1);
      const e2 = v128.shuffle<f32>(e, e, 2, 2, 2, 2), e3 = v128.shuffle<f32>(e, e, 3, 3, 3, 3);
      a0 = f32x4.add(a0, f32x4.mul(e0, v128.load(vr)));
      a1 = f32x4.add(a1, f32x4.mul(e0, v128.load(vr, 16)));
      a2 = f32x4.add(a2, f32x4.mul(e1, v128.load(vr, 32)));
      a3 = f32x4.add(a3, f32x4.mul(e1, v128.load(vr, 48)));
      a4 = f32x4.add(a4, f32x4.mul(e2, v128.load(vr, 64)));
      a5 = f32x4.add(a5, f32x4.mul(e2, v128.load(vr, 80)));
      a6 = f32x4.add(a6, f32x4.mul(e3, v128.load(vr, 96)));
      a7 = f32x4.add(a7, f32x4.mul(e3, v128.load(vr, 112)));
      vr += rowBytes;
    }
    const inv = f32x4.div(f32x4.splat(1), sum);
    const i0 = v128.shuffle<f32>(inv, inv, 0, 0, 0, 0), i1 = v128.shuffle<f32>(inv, inv, 1, 1, 1, 1);
    const i2 = v128.shuffle<f32>(inv, inv, 2, 2, 2, 2), i3 = v128.shuffle<f32>(inv, inv, 3, 3, 3, 3);
    const og = out + g;
    v128.store(og, f32x4.mul(a0, i0));
    v128.store(og, f32x4.mul(a1, i0), 16);
    v128.store(og, f32x4.mul(a2, i1), 32);
    v128.store(og, f32x4.mul(a3, i1), 48);
    v128.store(og, f32x4.mul(a4, i2), 64);
    v128.store(og, f32x4.mul(a5, i2), 80);
    v128.store(og, f32x4.mul(a6, i3), 96);
    v128.store(og, f32x4.mul(a7, i3), 112);
  }
}

/**
 * Every head of one query row against `span` cached rows (row stride D floats):
 * out_h = softmax(scale · q_h · K_hᵀ) · V_h. hs (head size) is a multiple of 4.
 * scores: scratch of 4·span floats.
 */
export function attend(out: usize, q: usize, k: usize, v: usize, span: i32, D: i32, hs: i32, scale: f32, scores: usize): void {
  if (hs == 8 && (D & 31) == 0) {
    attend8(out, q, k, v, span, D, scale, scores);
    return;
  }
  const rowBytes = <usize>D << 2;
  const headBytes = <usize>hs << 2;
  for (let ho: usize = 0; ho < rowBytes; ho += headBytes) {
    let max: f32 = -Infinity;
    for (let j = 0; j < span; j++) {
      const kr = k + <usize>j * rowBytes + ho;
      let a = f32x4.splat(0);
      for (let d: usize = 0; d < headBytes; d += 16) a = f32x4.add(a, f32x4.mul(v128.load(q + ho + d), v128.load(kr + d)));
      const s = hsum(a) * scale;
      store<f32>(scores + (<usize>j << 2), s);
      max = s > max ? s : max;
    }
    let sum: f32 = 0;
    let j = 0;
    for (; j + 4 <= span; j += 4) {
      const e = expNeg4(f32x4.sub(v128.load(scores + (<usize>j << 2)), f32x4.splat(max)));
      v128.store(scores + (<usize>j << 2), e);
      sum += hsum(e);
    }
    for (; j < span; j++) {
      const e = f32x4.extract_lane(expNeg4(f32x4.splat(load<f32>(scores + (<usize>j << 2)) - max)), 0);
      store<f32>(scores + (<usize>j << 2), e);
      sum += e;
    }
    const inv = f32x4.splat(1 / sum);
    for (let d: usize = 0; d < headBytes; d += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      j = 0;
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

// ---- gelu_new, in place ----

/**
 * x = gelu_new(x) = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), over count floats at p,
 * written as x·σ(2u) with e^(−2|u|) so no term cancels or overflows.
 */
export function gelu(p: usize, count: i32): void {
  const end = p + (<usize>count << 2);
  const c = f32x4.splat(0.7978845608028654);
  const one = f32x4.splat(1);
  let a = p;
  for (; a + 16 <= end; a += 16) v128.store(a, gelu4(v128.load(a), c, one));
  for (; a < end; a += 4) store<f32>(a, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(a)), c, one), 0));
}

@inline function gelu4(x: v128, c: v128, one: v128): v128 {
  const u = f32x4.mul(c, f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(x, f32x4.mul(x, x)))));
  const t = expNeg4(f32x4.mul(f32x4.splat(-2), f32x4.abs(u))); // e^(−2|u|) in (0, 1]
  const sig = f32x4.div(v128.bitselect(one, t, f32x4.ge(u, f32x4.splat(0))), f32x4.add(one, t));
  return f32x4.mul(x, sig);
}

/**
 * attend() for rows first, first + step, ... < n of a table of 5 words per row: out, q, k, v
 * (byte offsets: the row's output, query, first cached key and value) and span. Threads take
 * interleaved rows, so causal rows of growing span share out evenly.
 */
export function attendRows(table: usize, first: i32, n: i32, step: i32, D: i32, hs: i32, scale: f32, scores: usize): void {
  for (let i = first; i < n; i += step) {
    const e = table + <usize>i * 20;
    attend(load<u32>(e), load<u32>(e, 4), load<u32>(e, 8), load<u32>(e, 12), load<i32>(e, 16), D, hs, scale, scores);
  }
}

// ---- Q4_0 in the firmware's order (firmware mode): four rows per vector, one row per lane ----

/**
 * y (n, rows) = x (n, cols) · Wᵀ with each row summed exactly as the device does (firmware-
 * format.md 3.3): per block, low and high nibble products added in index order into two float32
 * sums, then acc += scale × (a0 + a1). Lanes are rows, so every lane keeps that order and the
 * results are bit for bit those of the scalar float32 code. Weights pre-arranged by rows of four
 * (rows padded to a multiple of 4): nib[((g·nb + b)·16 + k)·4 + lane], scales as float32
 * sc[(g·nb + b)·4 + lane]. Only the `rows` outputs are written: y may end right after them.
 */
export function firmwareMatmul(y: usize, x: usize, sc: usize, nib: usize, n: i32, rows: i32, cols: i32): void {
  const nb = cols >> 5;
  const groups = (rows + 3) >> 2;
  const eight = i32x4.splat(8), fifteen = i32x4.splat(15);
  for (let t = 0; t < n; t++) {
    const xt = x + ((<usize>t * cols) << 2);
    const yt = y + ((<usize>t * rows) << 2);
    for (let g = 0; g < groups; g++) {
      let acc = f32x4.splat(0);
      for (let b = 0; b < nb; b++) {
        const gb = <usize>g * nb + b;
        const np = nib + (gb << 6);
        const xb = xt + (<usize>b << 7);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        for (let k: usize = 0; k < 16; k += 4) {
          const bytes = v128.load(np + (k << 2)); // weights k..k+3 of the four rows
          const w01 = i16x8.extend_low_i8x16_u(bytes), w23 = i16x8.extend_high_i8x16_u(bytes);
          const u0 = i32x4.extend_low_i16x8_u(w01), u1 = i32x4.extend_high_i16x8_u(w01);
          const u2 = i32x4.extend_low_i16x8_u(w23), u3 = i32x4.extend_high_i16x8_u(w23);
          const xl = xb + (k << 2), xh = xl + 64;
          a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(v128.and(u0, fifteen), eight)), v128.load32_splat(xl)));
          a1 = f32x4.add(a1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(u0, 4), eight)), v128.load32_splat(xh)));
          a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(v128.and(u1, fifteen), eight)), v128.load32_splat(xl, 4)));
          a1 = f32x4.add(a1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(u1, 4), eight)), v128.load32_splat(xh, 4)));
          a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(v128.and(u2, fifteen), eight)), v128.load32_splat(xl, 8)));
          a1 = f32x4.add(a1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(u2, 4), eight)), v128.load32_splat(xh, 8)));
          a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(v128.and(u3, fifteen), eight)), v128.load32_splat(xl, 12)));
          a1 = f32x4.add(a1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(u3, 4), eight)), v128.load32_splat(xh, 12)));
        }
        acc = f32x4.add(acc, f32x4.mul(v128.load(sc + (gb << 4)), f32x4.add(a0, a1)));
      }
      const yg = yt + (<usize>g << 4);
      const left = rows - (g << 2); // rows of this group that exist
      if (left >= 4) v128.store(yg, acc);
      else {
        store<f32>(yg, f32x4.extract_lane(acc, 0));
        if (left > 1) store<f32>(yg, f32x4.extract_lane(acc, 1), 4);
        if (left > 2) store<f32>(yg, f32x4.extract_lane(acc, 2), 8);
      }
    }
  }
}

// ---- Attention in the firmware's order (firmware mode): int8 caches, one key or dim per lane ----

// s += q[d + i] × codes quarter i for i = 0..3 in order; codes: 16 int8, dimension-major
// (four keys per dimension), so each lane sums its own key's products in index order.
@inline function addCodes(s: v128, qd: usize, codes: v128): v128 {
  const lo = i16x8.extend_low_i8x16_s(codes), hi = i16x8.extend_high_i8x16_s(codes);
  s = f32x4.add(s, f32x4.mul(v128.load32_splat(qd), f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo))));
  s = f32x4.add(s, f32x4.mul(v128.load32_splat(qd, 4), f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo))));
  s = f32x4.add(s, f32x4.mul(v128.load32_splat(qd, 8), f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi))));
  return f32x4.add(s, f32x4.mul(v128.load32_splat(qd, 12), f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi))));
}

/**
 * Scores of one query row (D floats at q) against span int8 key rows (stride D bytes at kc,
 * scales at ks), every head, as the device computes them (firmware-format.md 3.5): per key,
 * s += q_d × code_d for d in order, then s × the row's scale. Lanes are four keys, each summing
 * its dimensions in order; int8 → float32 is exact and there is no fused multiply-add, so the
 * results are bit for bit the scalar float32 code's. att: (D / hs) heads of span rounded up to
 * 4 floats (the last group's spare lanes repeat the last key). hs is a multiple of 8.
 */
export function firmwareScores(att: usize, q: usize, kc: usize, ks: usize, span: i32, D: i32, hs: i32): void {
  const headBytes = <usize>((span + 3) & ~3) << 2;
  const last = span - 1;
  for (let t = 0; t < span; t += 4) {
    // clamped rows: the last group never reads past the cache
    const t1 = min(t + 1, last), t2 = min(t + 2, last), t3 = min(t + 3, last);
    const k0 = kc + <usize>t * D, k1 = kc + <usize>t1 * D, k2 = kc + <usize>t2 * D, k3 = kc + <usize>t3 * D;
    let scale = f32x4.splat(load<f32>(ks + (<usize>t << 2)));
    scale = f32x4.replace_lane(scale, 1, load<f32>(ks + (<usize>t1 << 2)));
    scale = f32x4.replace_lane(scale, 2, load<f32>(ks + (<usize>t2 << 2)));
    scale = f32x4.replace_lane(scale, 3, load<f32>(ks + (<usize>t3 << 2)));
    let at = att + (<usize>t << 2);
    for (let ho: usize = 0; ho < <usize>D; ho += <usize>hs) {
      let s = f32x4.splat(0);
      for (let d = ho; d < ho + <usize>hs; d += 8) {
        const ab = v128.load64_lane(k1 + d, v128.load64_zero(k0 + d), 1); // keys 0, 1: dims d..d+7
        const cd = v128.load64_lane(k3 + d, v128.load64_zero(k2 + d), 1); // keys 2, 3
        const qd = q + (d << 2);
        s = addCodes(s, qd, i8x16.shuffle(ab, cd, 0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27));
        s = addCodes(s, qd + 16, i8x16.shuffle(ab, cd, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31));
      }
      v128.store(at, f32x4.mul(s, scale));
      at += headBytes;
    }
  }
}

/**
 * out (D floats) = per head Σ_t a_t × values_t as the device computes it (firmware-format.md
 * 3.5): a_t = att_t × the row's scale, then out_d += a_t × code_d for t in order. Lanes are
 * dimensions, each adding over the keys in order: bit for bit the scalar float32 code. att as
 * firmwareScores lays it out (after the caller's softmax); vc, vs: int8 value rows and their scales.
 */
export function firmwareValues(out: usize, att: usize, vc: usize, vs: usize, span: i32, D: i32, hs: i32): void {
  const headBytes = <usize>((span + 3) & ~3) << 2;
  const end = <usize>span << 2;
  let ah = att;
  for (let ho: usize = 0; ho < <usize>D; ho += <usize>hs) {
    for (let d = ho; d < ho + <usize>hs; d += 8) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let vr = vc + d;
      for (let t: usize = 0; t < end; t += 4) {
        const a = f32x4.splat(load<f32>(ah + t) * load<f32>(vs + t));
        const c = i16x8.extend_low_i8x16_s(v128.load64_zero(vr));
        a0 = f32x4.add(a0, f32x4.mul(a, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(c))));
        a1 = f32x4.add(a1, f32x4.mul(a, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(c))));
        vr += <usize>D;
      }
      v128.store(out + (d << 2), a0);
      v128.store(out + (d << 2), a1, 16);
    }
    ah += headBytes;
  }
}

// ==== Training (src/core/train/kernel-gpt.ts): GPT-Neo forward and backward on float32 ====
// Float32 accumulation in SIMD lanes (the loss's log-sum-exp in float64); tested against the
// plain-JS layer functions of src/core/train/gpt.ts.

// ln x for x > 0 in float64, without Math.log: its lookup tables would be static data, and the
// kernel memories hold no static data (buffers start at byte 1024). x = m·2^e, m in [√½, √2),
// ln m = 2·atanh(z), z = (m − 1)/(m + 1), |z| < 0.172: the series to z^15 is exact to float64.
function lnPos(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e++;
  }
  const z = (m - 1) / (m + 1), z2 = z * z;
  let s = 1.0 / 15;
  s = s * z2 + 1.0 / 13;
  s = s * z2 + 1.0 / 11;
  s = s * z2 + 1.0 / 9;
  s = s * z2 + 1.0 / 7;
  s = s * z2 + 1.0 / 5;
  s = s * z2 + 1.0 / 3;
  s = s * z2 + 1;
  return 2 * z * s + <f64>e * 0.6931471805599453;
}

// C (M, N) = or += A (M, K) · B (K, N) (+ bias (N), bias ≠ 0). A's element (m, k) is the float at
// a + 4·(m·sam + k·sak), so A may be a matrix or its transpose; B and C are row-major with row
// strides ldb and ldc floats. Outer-product micro-kernel as XNNPACK's f32 gemm wasmsimd
// "loadsplat": per k, two vectors of 8 B columns and 4 splatted A values feed 4×8 accumulators
// (8 vectors live, no horizontal sums). K is taken in blocks of GEMM_KC (C accumulates from the
// second block on), then column blocks of 8, then row blocks of 4: the KC×8 strip of B stays in
// L1 and the KC columns of A in L2 while they are reused.
const GEMM_KC: i32 = 256;

export function gemmStrided(c: usize, a: usize, b: usize, bias: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, ldb: i32, ldc: i32, accumulate: i32): void {
  for (let k0 = 0; k0 < K || k0 == 0; k0 += GEMM_KC) {
    const kc = K - k0 < GEMM_KC ? K - k0 : GEMM_KC;
    gemmBlock(c, a + ((<usize>k0 * sak) << 2), b + ((<usize>k0 * ldb) << 2), k0 == 0 ? bias : 0, M, N, kc, sam, sak, ldb, ldc, k0 == 0 ? accumulate : 1);
  }
}

function gemmBlock(c: usize, a: usize, b: usize, bias: usize, M: i32, N: i32, K: i32, sam: i32, sak: i32, ldb: i32, ldc: i32, accumulate: i32): void {
  const am = <usize>sam << 2, ak = <usize>sak << 2, bk = <usize>ldb << 2, cm = <usize>ldc << 2;
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    const bn = b + (<usize>n << 2);
    const cn = c + (<usize>n << 2);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0);
    if (bias) {
      b0 = v128.load(bias + (<usize>n << 2));
      b1 = v128.load(bias + (<usize>n << 2), 16);
    }
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      let a0 = a + <usize>m * am;
      const s1 = am, s2 = am << 1, s3 = am * 3;
      let c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
      let bp = bn;
      for (let k = 0; k < K; k++) {
        const v0 = v128.load(bp), v1 = v128.load(bp, 16);
        const x0 = v128.load32_splat(a0), x1 = v128.load32_splat(a0 + s1);
        const x2 = v128.load32_splat(a0 + s2), x3 = v128.load32_splat(a0 + s3);
        c00 = f32x4.add(c00, f32x4.mul(x0, v0));
        c01 = f32x4.add(c01, f32x4.mul(x0, v1));
        c10 = f32x4.add(c10, f32x4.mul(x1, v0));
        c11 = f32x4.add(c11, f32x4.mul(x1, v1));
        c20 = f32x4.add(c20, f32x4.mul(x2, v0));
        c21 = f32x4.add(c21, f32x4.mul(x2, v1));
        c30 = f32x4.add(c30, f32x4.mul(x3, v0));
        c31 = f32x4.add(c31, f32x4.mul(x3, v1));
        bp += bk;
        a0 += ak;
      }
      const cr = cn + <usize>m * cm;
      store8(cr, c00, c01, accumulate);
      store8(cr + cm, c10, c11, accumulate);
      store8(cr + 2 * cm, c20, c21, accumulate);
      store8(cr + 3 * cm, c30, c31, accumulate);
    }
    for (; m < M; m++) {
      let ap = a + <usize>m * am;
      let c0 = b0, c1 = b1;
      let bp = bn;
      for (let k = 0; k < K; k++) {
        const x = v128.load32_splat(ap);
        c0 = f32x4.add(c0, f32x4.mul(x, v128.load(bp)));
        c1 = f32x4.add(c1, f32x4.mul(x, v128.load(bp, 16)));
        bp += bk;
        ap += ak;
      }
      store8(cn + <usize>m * cm, c0, c1, accumulate);
    }
  }
  // the last N mod 8 columns, one at a time (the callers' widths are multiples of 8)
  for (; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let s: f32 = bias ? load<f32>(bias + (<usize>n << 2)) : 0;
      for (let k = 0; k < K; k++) s += load<f32>(a + <usize>m * am + <usize>k * ak) * load<f32>(b + <usize>k * bk + (<usize>n << 2));
      const p = c + <usize>m * cm + (<usize>n << 2);
      store<f32>(p, accumulate ? load<f32>(p) + s : s);
    }
  }
}

@inline function store8(p: usize, x: v128, y: v128, accumulate: i32): void {
  if (accumulate) {
    x = f32x4.add(v128.load(p), x);
    y = f32x4.add(v128.load(p, 16), y);
  }
  v128.store(p, x);
  v128.store(p, y, 16);
}

// dst (cols, rows) = srcᵀ, src (rows, cols) row-major.
export function transpose(dst: usize, src: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + ((<usize>r * cols) << 2);
    for (let c = 0; c < cols; c++) store<f32>(dst + ((<usize>c * rows + r) << 2), load<f32>(s + (<usize>c << 2)));
  }
}

// dst = a + b over count floats (dst may be a or b).
export function addInto(dst: usize, a: usize, b: usize, count: i32): void {
  const end = <usize>count << 2;
  let i: usize = 0;
  for (; i + 16 <= end; i += 16) v128.store(dst + i, f32x4.add(v128.load(a + i), v128.load(b + i)));
  for (; i < end; i += 4) store<f32>(dst + i, load<f32>(a + i) + load<f32>(b + i));
}

// db (C) += Σ over N rows of dy (N, C): a bias's gradient. C is a multiple of 4.
export function columnSums(db: usize, dy: usize, N: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  for (let c: usize = 0; c < rowBytes; c += 16) {
    let s = f32x4.splat(0);
    let p = dy + c;
    for (let n = 0; n < N; n++) {
      s = f32x4.add(s, v128.load(p));
      p += rowBytes;
    }
    v128.store(db + c, f32x4.add(v128.load(db + c), s));
  }
}

// Layer norm over N rows of D floats (D a multiple of 4), biased variance, eps inside the root.
export function layernormForward(out: usize, mean: usize, rstd: usize, inp: usize, w: usize, b: usize, N: i32, D: i32, eps: f32): void {
  const rowBytes = <usize>D << 2;
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * rowBytes, o = out + <usize>n * rowBytes;
    let s = f32x4.splat(0);
    for (let i: usize = 0; i < rowBytes; i += 16) s = f32x4.add(s, v128.load(x + i));
    const m = hsum(s) / <f32>D;
    const mv = f32x4.splat(m);
    let q = f32x4.splat(0);
    for (let i: usize = 0; i < rowBytes; i += 16) {
      const d = f32x4.sub(v128.load(x + i), mv);
      q = f32x4.add(q, f32x4.mul(d, d));
    }
    const r: f32 = 1 / Mathf.sqrt(hsum(q) / <f32>D + eps);
    const rv = f32x4.splat(r);
    for (let i: usize = 0; i < rowBytes; i += 16) {
      v128.store(o + i, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + i), mv), rv), v128.load(w + i)), v128.load(b + i)));
    }
    store<f32>(mean + (<usize>n << 2), m);
    store<f32>(rstd + (<usize>n << 2), r);
  }
}

// dinp (N, D) += the layer norm's input gradient; dw, db (D) += its parameters' gradients.
export function layernormBackward(dinp: usize, dw: usize, db: usize, dout: usize, inp: usize, w: usize, mean: usize, rstd: usize, N: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * rowBytes, dy = dout + <usize>n * rowBytes, dx = dinp + <usize>n * rowBytes;
    const mv = f32x4.splat(load<f32>(mean + (<usize>n << 2)));
    const rv = f32x4.splat(load<f32>(rstd + (<usize>n << 2)));
    let sm = f32x4.splat(0), snm = f32x4.splat(0);
    for (let i: usize = 0; i < rowBytes; i += 16) {
      const norm = f32x4.mul(f32x4.sub(v128.load(x + i), mv), rv);
      const dnorm = f32x4.mul(v128.load(w + i), v128.load(dy + i));
      sm = f32x4.add(sm, dnorm);
      snm = f32x4.add(snm, f32x4.mul(dnorm, norm));
    }
    const dm = f32x4.splat(hsum(sm) / <f32>D), dnm = f32x4.splat(hsum(snm) / <f32>D);
    for (let i: usize = 0; i < rowBytes; i += 16) {
      const g = v128.load(dy + i);
      const norm = f32x4.mul(f32x4.sub(v128.load(x + i), mv), rv);
      const dnorm = f32x4.mul(v128.load(w + i), g);
      v128.store(db + i, f32x4.add(v128.load(db + i), g));
      v128.store(dw + i, f32x4.add(v128.load(dw + i), f32x4.mul(norm, g)));
      const d = f32x4.mul(f32x4.sub(f32x4.sub(dnorm, dm), f32x4.mul(norm, dnm)), rv);
      v128.store(dx + i, f32x4.add(v128.load(dx + i), d));
    }
  }
}

// out = gelu_new(inp) over count floats (count a multiple of 4).
export function geluForward(out: usize, inp: usize, count: i32): void {
  const c = f32x4.splat(0.7978845608028654);
  const one = f32x4.splat(1);
  const end = <usize>count << 2;
  for (let i: usize = 0; i < end; i += 16) v128.store(out + i, gelu4(v128.load(inp + i), c, one));
}

// dinp = gelu_new'(inp) · dout over count floats (a multiple of 4); dinp may be dout. tanh(u)
// from e^(−2|u|) as in gelu4, so it neither overflows nor cancels.
export function geluBackward(dinp: usize, inp: usize, dout: usize, count: i32): void {
  const c = f32x4.splat(0.7978845608028654);
  const one = f32x4.splat(1), half = f32x4.splat(0.5);
  const end = <usize>count << 2;
  for (let i: usize = 0; i < end; i += 16) {
    const x = v128.load(inp + i);
    const x2 = f32x4.mul(x, x);
    const u = f32x4.mul(c, f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(x, x2))));
    const t = expNeg4(f32x4.mul(f32x4.splat(-2), f32x4.abs(u)));
    const mag = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t)); // |tanh u|
    const th = v128.bitselect(mag, f32x4.neg(mag), f32x4.ge(u, f32x4.splat(0)));
    const sech2 = f32x4.sub(one, f32x4.mul(th, th));
    const du = f32x4.mul(c, f32x4.add(one, f32x4.mul(f32x4.splat(3 * 0.044715), x2)));
    const local = f32x4.add(f32x4.mul(half, f32x4.add(one, th)), f32x4.mul(f32x4.mul(half, x), f32x4.mul(sech2, du)));
    v128.store(dinp + i, f32x4.mul(local, v128.load(dout + i)));
  }
}

// Lanes j0 .. j0+3 that are keys of query i: all ones, else zero.
@inline function keyMask(j0: i32, i: i32): v128 {
  return i32x4.le_s(i32x4.add(i32x4.splat(j0), i32x4(0, 1, 2, 3)), i32x4.splat(i));
}

// One head's rows of x (T, D) at column h·hs, transposed into xt (hs, T4): keys along lanes.
function headColumns(xt: usize, x: usize, T: i32, T4: i32, D: i32, h: i32, hs: i32): void {
  for (let c = 0; c < hs; c++) {
    const dst = xt + ((<usize>c * T4) << 2);
    const src = x + ((<usize>h * hs + c) << 2);
    for (let j = 0; j < T; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + ((<usize>j * D) << 2)));
    for (let j = T; j < T4; j++) store<f32>(dst + (<usize>j << 2), 0);
  }
}

// s[j] = Σ_c x_c · yt[c][j] for the keys j0 ≤ j ≤ i in groups of four (lanes past i: garbage),
// channels four at a time: each pass keeps four splatted x_c and reads s once. hs: a multiple of 4.
function headDots(s: usize, x: usize, yt: usize, j0: i32, i: i32, T4: i32, hs: i32, scale: f32): void {
  const plane = <usize>T4 << 2;
  for (let c = 0; c < hs; c += 4) {
    const xc = x + (<usize>c << 2);
    const x0 = f32x4.splat(load<f32>(xc) * scale), x1 = f32x4.splat(load<f32>(xc, 4) * scale);
    const x2 = f32x4.splat(load<f32>(xc, 8) * scale), x3 = f32x4.splat(load<f32>(xc, 12) * scale);
    const y0 = yt + <usize>c * plane;
    for (let j = j0; j <= i; j += 4) {
      const jb = <usize>j << 2;
      let acc = c == 0 ? f32x4.splat(0) : v128.load(s + jb);
      acc = f32x4.add(acc, f32x4.add(f32x4.mul(x0, v128.load(y0 + jb)), f32x4.mul(x1, v128.load(y0 + plane + jb))));
      acc = f32x4.add(acc, f32x4.add(f32x4.mul(x2, v128.load(y0 + 2 * plane + jb)), f32x4.mul(x3, v128.load(y0 + 3 * plane + jb))));
      v128.store(s + jb, acc);
    }
  }
}

/**
 * Causal attention of B sequences of T tokens: out (B,T,D) = softmax(scale · q·kᵀ) v per head
 * (hs floats each, a multiple of 4), keys i − window < j ≤ i (window 0: all j ≤ i). lse (B,NH,T)
 * keeps each row's log-sum-exp so the backward pass recomputes the weights instead of storing
 * (B,NH,T,T). Keys run along the lanes: each head's keys and values are first transposed to
 * (hs, T4). scratch: (2·hs + 1)·T4 floats, T4 = T rounded up to 4, plus 4.
 */
export function attentionForward(out: usize, lse: usize, q: usize, k: usize, v: usize, B: i32, T: i32, D: i32, NH: i32, window: i32, scale: f32, scratch: usize): void {
  const hs = D / NH;
  const T4 = ((T + 3) & ~3) + 4; // a group of four keys starting at any j ≤ T − 1 stays inside a row
  const plane = <usize>T4 << 2;
  const kt = scratch, vt = kt + <usize>hs * plane, s = vt + <usize>hs * plane;
  for (let b = 0; b < B; b++) {
    const base = (<usize>b * T * D) << 2;
    for (let h = 0; h < NH; h++) {
      headColumns(kt, k + base, T, T4, D, h, hs);
      headColumns(vt, v + base, T, T4, D, h, hs);
      for (let i = 0; i < T; i++) {
        const lo = window > 0 && i - window + 1 > 0 ? i - window + 1 : 0;
        const row = (<usize>i * D + h * hs) << 2;
        headDots(s, q + base + row, kt, lo, i, T4, hs, scale);
        let mx = f32x4.splat(-Infinity);
        for (let j = lo; j <= i; j += 4) {
          mx = f32x4.max(mx, v128.bitselect(v128.load(s + (<usize>j << 2)), f32x4.splat(-Infinity), keyMask(j, i)));
        }
        const mxs = Mathf.max(Mathf.max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), Mathf.max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
        let sum = f32x4.splat(0);
        for (let j = lo; j <= i; j += 4) {
          const e = v128.and(expNeg4(f32x4.sub(v128.load(s + (<usize>j << 2)), f32x4.splat(mxs))), keyMask(j, i));
          v128.store(s + (<usize>j << 2), e);
          sum = f32x4.add(sum, e);
        }
        const total = hsum(sum);
        store<f32>(lse + ((<usize>(b * NH + h) * T + i) << 2), <f32>(<f64>mxs + lnPos(<f64>total)));
        const inv: f32 = 1 / total;
        const o = out + base + row;
        for (let c = 0; c < hs; c += 4) {
          const v0 = vt + <usize>c * plane;
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          for (let j = lo; j <= i; j += 4) {
            const jb = <usize>j << 2;
            const e = v128.load(s + jb);
            a0 = f32x4.add(a0, f32x4.mul(e, v128.load(v0 + jb)));
            a1 = f32x4.add(a1, f32x4.mul(e, v128.load(v0 + plane + jb)));
            a2 = f32x4.add(a2, f32x4.mul(e, v128.load(v0 + 2 * plane + jb)));
            a3 = f32x4.add(a3, f32x4.mul(e, v128.load(v0 + 3 * plane + jb)));
          }
          v128.store(o + (<usize>c << 2), f32x4.mul(hsum4(a0, a1, a2, a3), f32x4.splat(inv)));
        }
      }
    }
  }
}

/**
 * Backward of attentionForward: dq, dk, dv (B,T,D) are written (not added to) from dout (B,T,D),
 * the weights recomputed from q, k and lse. scratch: (4·hs + 2)·T4 floats.
 */
export function attentionBackward(dq: usize, dk: usize, dv: usize, dout: usize, q: usize, k: usize, v: usize, lse: usize, B: i32, T: i32, D: i32, NH: i32, window: i32, scale: f32, scratch: usize): void {
  const hs = D / NH;
  const T4 = ((T + 3) & ~3) + 4;
  const plane = <usize>T4 << 2;
  const kt = scratch, vt = kt + <usize>hs * plane, dkt = vt + <usize>hs * plane, dvt = dkt + <usize>hs * plane;
  const p = dvt + <usize>hs * plane, dp = p + plane;
  for (let b = 0; b < B; b++) {
    const base = (<usize>b * T * D) << 2;
    for (let h = 0; h < NH; h++) {
      headColumns(kt, k + base, T, T4, D, h, hs);
      headColumns(vt, v + base, T, T4, D, h, hs);
      memory.fill(dkt, 0, <usize>(2 * hs) * plane); // dkt and dvt
      for (let i = 0; i < T; i++) {
        const lo = window > 0 && i - window + 1 > 0 ? i - window + 1 : 0;
        const row = (<usize>i * D + h * hs) << 2;
        const qi = q + base + row, doi = dout + base + row;
        // the weights p_j again, and dp_j = dout · v_j
        headDots(p, qi, kt, lo, i, T4, hs, scale);
        headDots(dp, doi, vt, lo, i, T4, hs, 1);
        const z = f32x4.splat(load<f32>(lse + ((<usize>(b * NH + h) * T + i) << 2)));
        let dot = f32x4.splat(0);
        for (let j = lo; j <= i; j += 4) {
          const jb = <usize>j << 2;
          const pj = v128.and(expNeg4(f32x4.sub(v128.load(p + jb), z)), keyMask(j, i));
          v128.store(p + jb, pj);
          dot = f32x4.add(dot, f32x4.mul(pj, v128.load(dp + jb)));
        }
        // through the softmax: ds_j = p_j (dp_j − Σ p·dp) · scale, into dp
        const dots = f32x4.splat(hsum(dot));
        const sv = f32x4.splat(scale);
        for (let j = lo; j <= i; j += 4) {
          const jb = <usize>j << 2;
          v128.store(dp + jb, f32x4.mul(f32x4.mul(v128.load(p + jb), f32x4.sub(v128.load(dp + jb), dots)), sv));
        }
        // dq_c = Σ_j ds_j k_j[c]; dk_j += ds_j q; dv_j += p_j dout; four channels a pass
        for (let c = 0; c < hs; c += 4) {
          const o = <usize>c * plane;
          const qc = qi + (<usize>c << 2), dc = doi + (<usize>c << 2);
          const q0 = f32x4.splat(load<f32>(qc)), q1 = f32x4.splat(load<f32>(qc, 4)), q2 = f32x4.splat(load<f32>(qc, 8)), q3 = f32x4.splat(load<f32>(qc, 12));
          let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
          for (let j = lo; j <= i; j += 4) {
            const jb = <usize>j << 2;
            const ds = v128.load(dp + jb), pj = v128.load(p + jb);
            const k0 = kt + o + jb, g0 = dkt + o + jb, w0 = dvt + o + jb;
            a0 = f32x4.add(a0, f32x4.mul(ds, v128.load(k0)));
            a1 = f32x4.add(a1, f32x4.mul(ds, v128.load(k0 + plane)));
            a2 = f32x4.add(a2, f32x4.mul(ds, v128.load(k0 + 2 * plane)));
            a3 = f32x4.add(a3, f32x4.mul(ds, v128.load(k0 + 3 * plane)));
            v128.store(g0, f32x4.add(v128.load(g0), f32x4.mul(ds, q0)));
            v128.store(g0 + plane, f32x4.add(v128.load(g0 + plane), f32x4.mul(ds, q1)));
            v128.store(g0 + 2 * plane, f32x4.add(v128.load(g0 + 2 * plane), f32x4.mul(ds, q2)));
            v128.store(g0 + 3 * plane, f32x4.add(v128.load(g0 + 3 * plane), f32x4.mul(ds, q3)));
            v128.store(w0, f32x4.add(v128.load(w0), f32x4.mul(pj, v128.load32_splat(dc))));
            v128.store(w0 + plane, f32x4.add(v128.load(w0 + plane), f32x4.mul(pj, v128.load32_splat(dc + 4))));
            v128.store(w0 + 2 * plane, f32x4.add(v128.load(w0 + 2 * plane), f32x4.mul(pj, v128.load32_splat(dc + 8))));
            v128.store(w0 + 3 * plane, f32x4.add(v128.load(w0 + 3 * plane), f32x4.mul(pj, v128.load32_splat(dc + 12))));
          }
          v128.store(dq + base + row + (<usize>c << 2), hsum4(a0, a1, a2, a3));
        }
      }
      for (let c = 0; c < hs; c++) {
        const o = <usize>c * plane;
        const col = base + ((<usize>h * hs + c) << 2);
        for (let j = 0; j < T; j++) {
          store<f32>(dk + col + ((<usize>j * D) << 2), load<f32>(dkt + o + (<usize>j << 2)));
          store<f32>(dv + col + ((<usize>j * D) << 2), load<f32>(dvt + o + (<usize>j << 2)));
        }
      }
    }
  }
}

/**
 * Cross-entropy of R scored positions over V classes, in place: g (V, R) holds the logits
 * transposed (one position per column) and becomes dlogits = (softmax − onehot) · lossScale.
 * targets (R) int32, −1 for a padding column (its column becomes 0); losses (R) float64.
 * R is a multiple of 4. scratch: 4·R floats (maxima, float64 sums, the targets' logits).
 */
export function crossEntropy(g: usize, targets: usize, losses: usize, V: i32, R: i32, lossScale: f32, scratch: usize): void {
  const rowBytes = <usize>R << 2;
  const mx = scratch, sums = scratch + rowBytes, picked = sums + (rowBytes << 1);
  for (let r: usize = 0; r < rowBytes; r += 16) v128.store(mx + r, f32x4.splat(-Infinity));
  memory.fill(sums, 0, rowBytes << 1);
  for (let v = 0; v < V; v++) {
    const gr = g + <usize>v * rowBytes;
    for (let r: usize = 0; r < rowBytes; r += 16) v128.store(mx + r, f32x4.max(v128.load(mx + r), v128.load(gr + r)));
  }
  for (let r = 0; r < R; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    store<f32>(picked + (<usize>r << 2), t < 0 ? 0 : load<f32>(g + ((<usize>t * R + r) << 2)));
  }
  for (let v = 0; v < V; v++) {
    const gr = g + <usize>v * rowBytes;
    for (let r: usize = 0; r < rowBytes; r += 16) {
      const e = expNeg4(f32x4.sub(v128.load(gr + r), v128.load(mx + r)));
      v128.store(gr + r, e);
      const s = sums + (r << 1);
      v128.store(s, f64x2.add(v128.load(s), f64x2.promote_low_f32x4(e)));
      v128.store(s, f64x2.add(v128.load(s, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3))), 16);
    }
  }
  // loss = max + ln Σ e − the target's logit; then each column's factor lossScale / Σ e (0 for a
  // padding column) into mx
  for (let r = 0; r < R; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    const sum = load<f64>(sums + (<usize>r << 3));
    const z = <f64>load<f32>(mx + (<usize>r << 2)) + lnPos(sum);
    store<f64>(losses + (<usize>r << 3), t < 0 ? 0 : z - <f64>load<f32>(picked + (<usize>r << 2)));
    store<f32>(mx + (<usize>r << 2), t < 0 ? 0 : <f32>(<f64>lossScale / sum));
  }
  for (let v = 0; v < V; v++) {
    const gr = g + <usize>v * rowBytes;
    for (let r: usize = 0; r < rowBytes; r += 16) v128.store(gr + r, f32x4.mul(v128.load(gr + r), v128.load(mx + r)));
  }
  for (let r = 0; r < R; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    if (t >= 0) {
      const p = g + ((<usize>t * R + r) << 2);
      store<f32>(p, load<f32>(p) - lossScale);
    }
  }
}

// ==== Version-3 firmware (firmware mode, v3 arithmetic; firmware-format.md 11.1) ====
// Bit for bit the scalar code of src/core/firmware/v3/: integer sums are exact in any order, and
// every float32 operation runs in its own lane in the device's order. `fused` (the ESP32 build)
// turns each multiply-add into one rounding, emulated exactly (WebAssembly has no fma).

// a × b + c rounded once to float32, in two float64 lanes holding float32 values. The product is
// exact in float64, so rounding the float64 sum to float32 is right unless that sum sits exactly on
// a float32 midpoint (its 29 bits below float32 precision are 1000…0, or it is below float32's
// normal range) that the true sum is not on; there the sum's error (TwoSum) picks the side. The
// result is a float32 value in float64 lanes (demote it).
@inline function firmwareV3Fma2(a: v128, b: v128, c: v128): v128 {
  const p = f64x2.mul(a, b);
  const s = f64x2.add(p, c);
  const midBits = i64x2.eq(v128.and(s, i64x2.splat(0x1fffffff)), i64x2.splat(0x10000000));
  const tiny = v128.and(f64x2.lt(f64x2.abs(s), f64x2.splat(1.1754943508222875e-38)), f64x2.ne(s, f64x2.splat(0)));
  if (!v128.any_true(v128.or(midBits, tiny))) return s;
  const bp = f64x2.sub(s, c);
  const err = f64x2.add(f64x2.sub(p, bp), f64x2.sub(c, f64x2.sub(s, bp)));
  const r = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(s));
  const other = f64x2.sub(f64x2.add(s, s), r); // the float32 across the midpoint, if s is one
  const otherIsF32 = f64x2.eq(f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(other)), other);
  const mid = v128.and(v128.and(otherIsF32, f64x2.ne(err, f64x2.splat(0))), f64x2.ne(r, s));
  const side = v128.bitselect(f64x2.max(r, other), f64x2.min(r, other), f64x2.gt(err, f64x2.splat(0)));
  return v128.bitselect(side, r, mid);
}

// fma(a, b, c) per float32 lane, one rounding.
@inline function firmwareV3Fma(a: v128, b: v128, c: v128): v128 {
  const lo = firmwareV3Fma2(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b), f64x2.promote_low_f32x4(c));
  const ah = v128.shuffle<f32>(a, a, 2, 3, 2, 3), bh = v128.shuffle<f32>(b, b, 2, 3, 2, 3), ch = v128.shuffle<f32>(c, c, 2, 3, 2, 3);
  const hi = firmwareV3Fma2(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh), f64x2.promote_low_f32x4(ch));
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// c + a × b per lane: two roundings (host build) or one (fused).
@inline function firmwareV3MulAdd(a: v128, b: v128, c: v128, fused: bool): v128 {
  return fused ? firmwareV3Fma(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

// [Σ a, Σ b, Σ c, Σ d] of four i32x4 vectors.
@inline function firmwareV3Sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 1, 4, 5), v128.shuffle<i32>(a, b, 2, 3, 6, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 1, 4, 5), v128.shuffle<i32>(c, d, 2, 3, 6, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 2, 4, 6), v128.shuffle<i32>(ab, cd, 1, 3, 5, 7));
}

// rint(v × inv) per lane, ties to even (lrintf in the default rounding mode), as i32.
@inline function firmwareV3Round(v: v128, inv: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v, inv)));
}

/**
 * x (count floats) → int8 codes xq and per 32 values a float32 scale xs and the codes' sum xsum
 * (an integer held in a float32, exactly): s = max|x| / 127, q = rint(x × (1 / s)) with ties to
 * even (f32x4.nearest), no clamp. count is a multiple of 32.
 */
export function firmwareV3Quantize(xq: usize, xs: usize, xsum: usize, x: usize, count: i32): void {
  for (let b = 0; b < count >> 5; b++) {
    const xb = x + (<usize>b << 7);
    const v0 = v128.load(xb), v1 = v128.load(xb, 16), v2 = v128.load(xb, 32), v3 = v128.load(xb, 48);
    const v4 = v128.load(xb, 64), v5 = v128.load(xb, 80), v6 = v128.load(xb, 96), v7 = v128.load(xb, 112);
    let m = f32x4.max(f32x4.max(f32x4.max(f32x4.abs(v0), f32x4.abs(v1)), f32x4.max(f32x4.abs(v2), f32x4.abs(v3))),
      f32x4.max(f32x4.max(f32x4.abs(v4), f32x4.abs(v5)), f32x4.max(f32x4.abs(v6), f32x4.abs(v7))));
    m = f32x4.max(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
    m = f32x4.max(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2));
    const scale = f32x4.extract_lane(m, 0) / 127;
    const inv = f32x4.splat(scale > 0 ? 1 / scale : 0);
    const a = i16x8.narrow_i32x4_s(firmwareV3Round(v0, inv), firmwareV3Round(v1, inv));
    const c = i16x8.narrow_i32x4_s(firmwareV3Round(v2, inv), firmwareV3Round(v3, inv));
    const d = i16x8.narrow_i32x4_s(firmwareV3Round(v4, inv), firmwareV3Round(v5, inv));
    const e = i16x8.narrow_i32x4_s(firmwareV3Round(v6, inv), firmwareV3Round(v7, inv));
    const lo = i8x16.narrow_i16x8_s(a, c), hi = i8x16.narrow_i16x8_s(d, e);
    v128.store(xq + (<usize>b << 5), lo);
    v128.store(xq + (<usize>b << 5), hi, 16);
    store<f32>(xs + (<usize>b << 2), scale);
    const sum = i32x4.add(i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(lo)), i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(hi)));
    store<f32>(xsum + (<usize>b << 2), <f32>(i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 1) + i32x4.extract_lane(sum, 2) + i32x4.extract_lane(sum, 3)));
  }
}

// Σ code · x over one 32-weight block of one row (codes 0..15, the −8 is applied to the sums), as
// four i32 partial sums: 16 nibble bytes at p (weight k low, k + 16 high) against the block's int8
// activations xa (0..15) and xb (16..31). Products are at most 15 · 128; four fit an i16 lane.
@inline function firmwareV3Block(p: usize, xa: v128, xb: v128): v128 {
  const v = v128.load(p);
  const lo = v128.and(v, i8x16.splat(15));
  const hi = i8x16.shr_u(v, 4);
  const s = i16x8.add(
    i16x8.add(i16x8.extmul_low_i8x16_s(lo, xa), i16x8.extmul_high_i8x16_s(lo, xa)),
    i16x8.add(i16x8.extmul_low_i8x16_s(hi, xb), i16x8.extmul_high_i8x16_s(hi, xb)),
  );
  return i32x4.extadd_pairwise_i16x8_s(s);
}

/**
 * y (n, rows) = W · x for int8 activations xq (n, cols) with float32 scales xs (n, cols/32) and
 * code sums xsum (n, cols/32) as firmwareV3Quantize leaves them: per row and block, the exact
 * sum Σ (code − 8) · xq = Σ code · xq − 8 · xsum, then acc += (scale × xs) × sum in float32,
 * blocks in order (fused: one rounding). Lanes are four rows. Weights arranged by rows of four
 * (rows padded to a multiple of 4 with zeros): nib[((g·nb + b)·4 + lane)·16 + k] and
 * sc[(g·nb + b)·4 + lane] float32.
 */
export function firmwareV3Matvec(y: usize, xq: usize, xs: usize, xsum: usize, sc: usize, nib: usize, n: i32, rows: i32, cols: i32, fused: i32): void {
  if (fused) firmwareV3Products(y, xq, xs, xsum, sc, nib, n, rows, cols, true);
  else firmwareV3Products(y, xq, xs, xsum, sc, nib, n, rows, cols, false);
}

@inline function firmwareV3Products(y: usize, xq: usize, xs: usize, xsum: usize, sc: usize, nib: usize, n: i32, rows: i32, cols: i32, fused: bool): void {
  const nb = cols >> 5;
  const groups = (rows + 3) >> 2;
  for (let t = 0; t < n; t++) {
    const xt = xq + <usize>t * cols;
    const st = xs + ((<usize>t * nb) << 2);
    const ct = xsum + ((<usize>t * nb) << 2);
    const yt = y + ((<usize>t * rows) << 2);
    for (let g = 0; g < groups; g++) {
      let acc = f32x4.splat(0);
      for (let b = 0; b < nb; b++) {
        const gb = <usize>g * nb + b;
        const p = nib + (gb << 6);
        const xa = v128.load(xt + (<usize>b << 5)), xb = v128.load(xt + (<usize>b << 5), 16);
        const raw = firmwareV3Sum4(firmwareV3Block(p, xa, xb), firmwareV3Block(p + 16, xa, xb), firmwareV3Block(p + 32, xa, xb), firmwareV3Block(p + 48, xa, xb));
        const isum = i32x4.sub(raw, i32x4.splat(<i32>load<f32>(ct + (<usize>b << 2)) << 3));
        const ts = f32x4.mul(v128.load(sc + (gb << 4)), f32x4.splat(load<f32>(st + (<usize>b << 2))));
        acc = firmwareV3MulAdd(ts, f32x4.convert_i32x4_s(isum), acc, fused);
      }
      const yo = yt + (<usize>g << 4);
      const left = rows - (g << 2);
      if (left >= 4) {
        v128.store(yo, acc);
      } else {
        v128.store32_lane(yo, acc, 0);
        if (left > 1) v128.store32_lane(yo, acc, 1, 4);
        if (left > 2) v128.store32_lane(yo, acc, 2, 8);
      }
    }
  }
}

// (code − 8) as float32 for the four keys of quarter `part` (0..3) of 16 signed codes laid out
// four keys per element.
@inline function firmwareV3Codes(c: v128, part: i32): v128 {
  const h = part < 2 ? i16x8.extend_low_i8x16_s(c) : i16x8.extend_high_i8x16_s(c);
  return f32x4.convert_i32x4_s((part & 1) == 0 ? i32x4.extend_low_i16x8_s(h) : i32x4.extend_high_i16x8_s(h));
}

/**
 * Scores of one query row (D floats at q) against span int4 key slots (D/2 code bytes per slot
 * at kc, D/32 float32 scales per slot at ks), every head: per key, s += q_i × (code_i − 8) for i
 * in order (fused: one rounding each), then s × the scale of the group holding the head's first
 * element. Lanes are four keys. att: (D / hs) heads of span rounded up to 4 floats (the last group's spare lanes repeat
 * the last key). hs is a multiple of 8.
 */
export function firmwareV3Scores(att: usize, q: usize, kc: usize, ks: usize, span: i32, D: i32, hs: i32, fused: i32): void {
  if (fused) firmwareV3KeyScores(att, q, kc, ks, span, D, hs, true);
  else firmwareV3KeyScores(att, q, kc, ks, span, D, hs, false);
}

@inline function firmwareV3KeyScores(att: usize, q: usize, kc: usize, ks: usize, span: i32, D: i32, hs: i32, fused: bool): void {
  const headBytes = <usize>((span + 3) & ~3) << 2;
  const last = span - 1;
  const slotBytes = <usize>(D >> 1), scaleBytes = <usize>(D >> 5) << 2;
  const eight = i8x16.splat(8), fifteen = i8x16.splat(15);
  for (let t = 0; t < span; t += 4) {
    const k0 = kc + <usize>t * slotBytes, k1 = kc + <usize>min(t + 1, last) * slotBytes;
    const k2 = kc + <usize>min(t + 2, last) * slotBytes, k3 = kc + <usize>min(t + 3, last) * slotBytes;
    const s0 = ks + <usize>t * scaleBytes, s1 = ks + <usize>min(t + 1, last) * scaleBytes;
    const s2 = ks + <usize>min(t + 2, last) * scaleBytes, s3 = ks + <usize>min(t + 3, last) * scaleBytes;
    let at = att + (<usize>t << 2);
    for (let h: usize = 0; h < <usize>D; h += <usize>hs) {
      let s = f32x4.splat(0);
      for (let d = h; d < h + <usize>hs; d += 8) {
        const o = d >> 1; // four bytes: elements d..d+7 of each key
        let v = v128.load32_zero(k0 + o);
        v = v128.load32_lane(k1 + o, v, 1);
        v = v128.load32_lane(k2 + o, v, 2);
        v = v128.load32_lane(k3 + o, v, 3);
        v = i8x16.shuffle(v, v, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15); // byte-major
        const lo = i8x16.sub(v128.and(v, fifteen), eight); // elements d, d+2, d+4, d+6
        const hi = i8x16.sub(i8x16.shr_u(v, 4), eight); // elements d+1, d+3, d+5, d+7
        const qd = q + (d << 2);
        s = firmwareV3MulAdd(v128.load32_splat(qd), firmwareV3Codes(lo, 0), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 4), firmwareV3Codes(hi, 0), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 8), firmwareV3Codes(lo, 1), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 12), firmwareV3Codes(hi, 1), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 16), firmwareV3Codes(lo, 2), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 20), firmwareV3Codes(hi, 2), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 24), firmwareV3Codes(lo, 3), s, fused);
        s = firmwareV3MulAdd(v128.load32_splat(qd, 28), firmwareV3Codes(hi, 3), s, fused);
      }
      const g = (h >> 5) << 2; // byte offset of the head's scale group
      let scale = v128.load32_zero(s0 + g);
      scale = v128.load32_lane(s1 + g, scale, 1);
      scale = v128.load32_lane(s2 + g, scale, 2);
      scale = v128.load32_lane(s3 + g, scale, 3);
      v128.store(at, f32x4.mul(s, scale));
      at += headBytes;
    }
  }
}

/**
 * out (D floats) = per head Σ_t a_t × (code_t − 8), a_t = att_t × the value scale of the head's
 * group, t in order (fused: one rounding each). Lanes are dimensions. att as firmwareV3Scores
 * lays it out (after the caller's softmax); vc, vs: value codes and scales laid out like the keys.
 */
export function firmwareV3Values(out: usize, att: usize, vc: usize, vs: usize, span: i32, D: i32, hs: i32, fused: i32): void {
  if (fused) firmwareV3ValueSums(out, att, vc, vs, span, D, hs, true);
  else firmwareV3ValueSums(out, att, vc, vs, span, D, hs, false);
}

@inline function firmwareV3ValueSums(out: usize, att: usize, vc: usize, vs: usize, span: i32, D: i32, hs: i32, fused: bool): void {
  const headBytes = <usize>((span + 3) & ~3) << 2;
  const slotBytes = <usize>(D >> 1), scaleBytes = <usize>(D >> 5) << 2;
  const eight = i8x16.splat(8), fifteen = i8x16.splat(15);
  let ah = att;
  for (let h: usize = 0; h < <usize>D; h += <usize>hs) {
    const g = (h >> 5) << 2;
    for (let d = h; d < h + <usize>hs; d += 8) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let vr = vc + (d >> 1);
      let sr = vs + g;
      for (let t = 0; t < span; t++) {
        const a = f32x4.splat(load<f32>(ah + (<usize>t << 2)) * load<f32>(sr));
        const v = v128.load32_zero(vr);
        const lo = i8x16.sub(v128.and(v, fifteen), eight), hi = i8x16.sub(i8x16.shr_u(v, 4), eight);
        const c = i16x8.extend_low_i8x16_s(i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        a0 = firmwareV3MulAdd(a, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(c)), a0, fused);
        a1 = firmwareV3MulAdd(a, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(c)), a1, fused);
        vr += slotBytes;
        sr += scaleBytes;
      }
      v128.store(out + (d << 2), a0);
      v128.store(out + (d << 2), a1, 16);
    }
    ah += headBytes;
  }
}

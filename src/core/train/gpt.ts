// GPT-Neo forward and backward, written out layer by layer in the style of llm.c's train_gpt2.c:
// float32 parameters, gradients and activations in flat buffers planned once for (B, T), each
// `<layer>_forward` beside its `<layer>_backward`. Semantics are Hugging Face GPT-Neo's: no
// 1/sqrt(head_dim) (config.attentionScale), local layers see keys i − window < j ≤ i, gelu_new,
// the classifier tied to wte, and the shifted loss (logits[t] scored against labels[t + 1],
// label −100 = no loss). Dot products accumulate in float64 (JS numbers) and are stored as float32.
// The snake_case names (encoder_forward, gpt_backward, …) are llm.c's, kept on purpose so the two
// read side by side; the parameters' offsets use the names of NeoWeights (ln1.weight, q, fcBias …).
import { UsageError } from '../errors.js';
import { checkToken } from '../neo/engine.js';
import { IGNORE_LABEL as IGNORE } from './data.js';
import type { ParamLayout } from './params.js';

// ----------------------------------------------------------------------------
// encoder: token + position embeddings

export function encoder_forward(out: Float32Array, ids: Int32Array, wte: Float32Array, wpe: Float32Array, B: number, T: number, D: number): void {
  // out (B,T,D), ids (B,T), wte (V,D), wpe (P,D)
  for (let bt = 0; bt < B * T; bt++) {
    const o = bt * D;
    const e = ids[bt]! * D;
    const p = (bt % T) * D;
    for (let i = 0; i < D; i++) out[o + i] = wte[e + i]! + wpe[p + i]!;
  }
}

export function encoder_backward(dwte: Float32Array, dwpe: Float32Array, dout: Float32Array, ids: Int32Array, B: number, T: number, D: number): void {
  for (let bt = 0; bt < B * T; bt++) {
    const o = bt * D;
    const e = ids[bt]! * D;
    const p = (bt % T) * D;
    for (let i = 0; i < D; i++) {
      const d = dout[o + i]!;
      dwte[e + i] += d;
      dwpe[p + i] += d;
    }
  }
}

// ----------------------------------------------------------------------------
// layernorm (biased variance, eps inside the square root, as torch.nn.LayerNorm)

export function layernorm_forward(
  out: Float32Array, mean: Float32Array, rstd: Float32Array, inp: Float32Array,
  w: Float32Array, b: Float32Array, N: number, D: number, eps: number,
): void {
  // out (N,D), mean (N), rstd (N), inp (N,D)
  for (let n = 0; n < N; n++) {
    const o = n * D;
    let m = 0;
    for (let i = 0; i < D; i++) m += inp[o + i]!;
    m /= D;
    let v = 0;
    for (let i = 0; i < D; i++) {
      const x = inp[o + i]! - m;
      v += x * x;
    }
    const s = 1 / Math.sqrt(v / D + eps);
    for (let i = 0; i < D; i++) out[o + i] = (inp[o + i]! - m) * s * w[i]! + b[i]!;
    mean[n] = m;
    rstd[n] = s;
  }
}

export function layernorm_backward(
  dinp: Float32Array, dw: Float32Array, db: Float32Array, dout: Float32Array, inp: Float32Array,
  w: Float32Array, mean: Float32Array, rstd: Float32Array, N: number, D: number,
): void {
  // dinp (N,D) is accumulated into (it is the residual stream's gradient)
  for (let n = 0; n < N; n++) {
    const o = n * D;
    const m = mean[n]!;
    const s = rstd[n]!;
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < D; i++) {
      const norm = (inp[o + i]! - m) * s;
      const dnorm = w[i]! * dout[o + i]!;
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= D;
    dnormNormMean /= D;
    for (let i = 0; i < D; i++) {
      const norm = (inp[o + i]! - m) * s;
      const dnorm = w[i]! * dout[o + i]!;
      db[i] += dout[o + i]!;
      dw[i] += norm * dout[o + i]!;
      dinp[o + i] += (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

// ----------------------------------------------------------------------------
// matmul: out = inp · Wᵀ (+ bias), W stored (OC, C) like nn.Linear

export function matmul_forward(out: Float32Array, inp: Float32Array, w: Float32Array, bias: Float32Array | null, N: number, C: number, OC: number): void {
  // out (N,OC), inp (N,C), w (OC,C), bias (OC). Four weight rows per pass share each input load.
  for (let n = 0; n < N; n++) {
    const io = n * C;
    const oo = n * OC;
    let o = 0;
    for (; o + 4 <= OC; o += 4) {
      const w0 = o * C;
      const w1 = w0 + C;
      const w2 = w1 + C;
      const w3 = w2 + C;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let i = 0; i < C; i++) {
        const x = inp[io + i]!;
        a0 += x * w[w0 + i]!;
        a1 += x * w[w1 + i]!;
        a2 += x * w[w2 + i]!;
        a3 += x * w[w3 + i]!;
      }
      if (bias) {
        a0 += bias[o]!;
        a1 += bias[o + 1]!;
        a2 += bias[o + 2]!;
        a3 += bias[o + 3]!;
      }
      out[oo + o] = a0;
      out[oo + o + 1] = a1;
      out[oo + o + 2] = a2;
      out[oo + o + 3] = a3;
    }
    for (; o < OC; o++) {
      const wo = o * C;
      let acc = 0;
      for (let i = 0; i < C; i++) acc += inp[io + i]! * w[wo + i]!;
      out[oo + o] = acc + (bias ? bias[o]! : 0);
    }
  }
}

/** acc[0..C) += Σ_k d[k] · m[rows[k]·C ..]: four rows per pass over acc (rows with d = 0 are skipped). */
function accumulateRows(acc: Float64Array, m: Float32Array, C: number, rows: Int32Array, d: Float64Array, count: number): void {
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const r0 = rows[k]! * C, r1 = rows[k + 1]! * C, r2 = rows[k + 2]! * C, r3 = rows[k + 3]! * C;
    const d0 = d[k]!, d1 = d[k + 1]!, d2 = d[k + 2]!, d3 = d[k + 3]!;
    for (let i = 0; i < C; i++) acc[i] += d0 * m[r0 + i]! + d1 * m[r1 + i]! + d2 * m[r2 + i]! + d3 * m[r3 + i]!;
  }
  for (; k < count; k++) {
    const r = rows[k]! * C;
    const dk = d[k]!;
    for (let i = 0; i < C; i++) acc[i] += dk * m[r + i]!;
  }
}

/** Scratch for matmul_backward: the non-zero entries of one row or column of dout. */
export interface GatherScratch {
  rows: Int32Array;
  d: Float64Array;
}

export function matmul_backward(
  dinp: Float32Array, dw: Float32Array, dbias: Float32Array | null, dout: Float32Array,
  inp: Float32Array, w: Float32Array, N: number, C: number, OC: number, acc: Float64Array, g: GatherScratch,
): void {
  // dinp (N,C) += dout (N,OC) · w (OC,C); dw (OC,C) += doutᵀ · inp; dbias (OC) += Σ dout.
  // Each output row is summed in float64 (acc) and rounded once; zeros of dout (masked positions) are skipped.
  for (let n = 0; n < N; n++) {
    const oo = n * OC;
    let count = 0;
    for (let o = 0; o < OC; o++) {
      const d = dout[oo + o]!;
      if (d !== 0) {
        g.rows[count] = o;
        g.d[count++] = d;
      }
    }
    if (count === 0) continue;
    acc.fill(0, 0, C);
    accumulateRows(acc, w, C, g.rows, g.d, count);
    const io = n * C;
    for (let i = 0; i < C; i++) dinp[io + i] += acc[i]!;
  }
  for (let o = 0; o < OC; o++) {
    let count = 0;
    let sb = 0;
    for (let n = 0; n < N; n++) {
      const d = dout[n * OC + o]!;
      if (d !== 0) {
        g.rows[count] = n;
        g.d[count++] = d;
        sb += d;
      }
    }
    if (dbias) dbias[o] += sb;
    if (count === 0) continue;
    acc.fill(0, 0, C);
    accumulateRows(acc, inp, C, g.rows, g.d, count);
    const wo = o * C;
    for (let i = 0; i < C; i++) dw[wo + i] += acc[i]!;
  }
}

// ----------------------------------------------------------------------------
// attention: causal, optionally local (keys i − window < j ≤ i), scores scaled by `scale`

export function attention_forward(
  out: Float32Array, att: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
  B: number, T: number, D: number, NH: number, window: number, scale: number,
): void {
  // out (B,T,D), att (B,NH,T,T) softmax weights (zero outside the visible keys), q/k/v (B,T,D)
  const hs = D / NH;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const qo = (b * T + i) * D + h * hs;
        const ao = ((b * NH + h) * T + i) * T;
        const lo = window > 0 ? Math.max(0, i - window + 1) : 0;
        att.fill(0, ao, ao + T);
        let max = -Infinity;
        for (let j = lo; j <= i; j++) {
          const ko = (b * T + j) * D + h * hs;
          let s = 0;
          for (let c = 0; c < hs; c++) s += q[qo + c]! * k[ko + c]!;
          const sc = Math.fround(s * scale);
          att[ao + j] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let j = lo; j <= i; j++) {
          const e = Math.exp(att[ao + j]! - max);
          att[ao + j] = e;
          sum += e;
        }
        for (let j = lo; j <= i; j++) att[ao + j] = att[ao + j]! / sum;
        for (let c = 0; c < hs; c++) {
          let y = 0;
          for (let j = lo; j <= i; j++) y += att[ao + j]! * v[(b * T + j) * D + h * hs + c]!;
          out[qo + c] = y;
        }
      }
    }
  }
}

export function attention_backward(
  dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array,
  q: Float32Array, k: Float32Array, v: Float32Array, att: Float32Array, datt: Float64Array,
  B: number, T: number, D: number, NH: number, window: number, scale: number,
): void {
  // dq/dk/dv (B,T,D) accumulated; datt (T) float64 scratch for one query row
  const hs = D / NH;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const qo = (b * T + i) * D + h * hs;
        const ao = ((b * NH + h) * T + i) * T;
        const lo = window > 0 ? Math.max(0, i - window + 1) : 0;
        // through out_i = Σ_j att_j v_j
        let dot = 0; // Σ_j att_j · datt_j
        for (let j = lo; j <= i; j++) {
          const vo = (b * T + j) * D + h * hs;
          const a = att[ao + j]!;
          let d = 0;
          for (let c = 0; c < hs; c++) {
            d += dout[qo + c]! * v[vo + c]!;
            dv[vo + c] += a * dout[qo + c]!;
          }
          datt[j] = d;
          dot += a * d;
        }
        // through the softmax, then the scaled scores q_i · k_j
        for (let j = lo; j <= i; j++) {
          const dpre = att[ao + j]! * (datt[j]! - dot) * scale;
          const ko = (b * T + j) * D + h * hs;
          for (let c = 0; c < hs; c++) {
            dq[qo + c] += dpre * k[ko + c]!;
            dk[ko + c] += dpre * q[qo + c]!;
          }
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------
// gelu_new (the tanh approximation)

const GELU_SCALE = Math.sqrt(2 / Math.PI);

export function gelu_forward(out: Float32Array, inp: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i]!;
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x)));
  }
}

export function gelu_backward(dinp: Float32Array, inp: Float32Array, dout: Float32Array, N: number): void {
  // dinp may be dout itself (written in place)
  for (let i = 0; i < N; i++) {
    const x = inp[i]!;
    const u = GELU_SCALE * (x + 0.044715 * x * x * x);
    const th = Math.tanh(u);
    const sech2 = 1 - th * th;
    const local = 0.5 * (1 + th) + 0.5 * x * sech2 * GELU_SCALE * (1 + 3 * 0.044715 * x * x);
    dinp[i] = local * dout[i]!;
  }
}

// ----------------------------------------------------------------------------
// residual

function residual_forward(out: Float32Array, a: Float32Array, b: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = a[i]! + b[i]!;
}

// ----------------------------------------------------------------------------
// classifier (tied to wte) + shifted cross-entropy

/** Target of position t in row b: labels[b][t + 1] (HF's shift), IGNORE for the last position. */
function targetAt(labels: Int32Array, b: number, t: number, T: number): number {
  return t + 1 < T ? labels[b * T + t + 1]! : IGNORE;
}

export function classifier_forward(
  logits: Float32Array, losses: Float32Array, lse: Float64Array, lnf: Float32Array, wte: Float32Array, labels: Int32Array,
  B: number, T: number, D: number, V: number, allLogits: boolean,
): number {
  // logits (B,T,V), losses (B,T) (0 where no target), lse (B,T) log-sum-exp for the backward pass, returns Σ losses in float64.
  // Positions without a target skip the classifier unless allLogits (they get no gradient).
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const target = targetAt(labels, b, t, T);
      losses[bt] = 0;
      if (target === IGNORE && !allLogits) continue;
      matmul_forward(logits.subarray(bt * V, (bt + 1) * V), lnf.subarray(bt * D, (bt + 1) * D), wte, null, 1, D, V);
      if (target === IGNORE) continue;
      const lo = bt * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[lo + v]! > max) max = logits[lo + v]!;
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[lo + v]! - max);
      lse[bt] = Math.log(sum) + max;
      const loss = lse[bt]! - logits[lo + target]!;
      losses[bt] = loss;
      total += loss;
    }
  }
  return total;
}

export function classifier_backward(
  dlnf: Float32Array, dwte: Float32Array, logits: Float32Array, lse: Float64Array, lnf: Float32Array, wte: Float32Array,
  labels: Int32Array, B: number, T: number, D: number, V: number, lossScale: number, acc: Float64Array, g: GatherScratch,
): void {
  // lse (B,T): log Σ exp(logits) from the forward pass. logits (B,T,V) are overwritten by dlogits = (softmax − onehot) · lossScale; rows without a target get 0.
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const lo = bt * V;
      const target = targetAt(labels, b, t, T);
      if (target === IGNORE) {
        logits.fill(0, lo, lo + V);
        continue;
      }
      const z = lse[bt]!;
      for (let v = 0; v < V; v++) {
        const p = Math.exp(logits[lo + v]! - z);
        logits[lo + v] = (p - (v === target ? 1 : 0)) * lossScale;
      }
    }
  }
  matmul_backward(dlnf, dwte, null, logits, lnf, wte, B * T, D, V, acc, g);
}

// ----------------------------------------------------------------------------
// the model

/** Every activation the backward pass needs, planned once for at most (B, T). */
export interface Activations {
  B: number;
  T: number;
  encoded: Float32Array; // (B,T,D)
  ln1: Float32Array; ln1Mean: Float32Array; ln1Rstd: Float32Array; // (L,B,T,D), (L,B,T), (L,B,T)
  q: Float32Array; k: Float32Array; v: Float32Array; // (L,B,T,D) each
  att: Float32Array; // (L,B,NH,T,T)
  atty: Float32Array; // (L,B,T,D) attention output before out_proj
  res2: Float32Array; // (L,B,T,D) residual after attention
  ln2: Float32Array; ln2Mean: Float32Array; ln2Rstd: Float32Array; // (L,B,T,D), (L,B,T), (L,B,T)
  fch: Float32Array; fchGelu: Float32Array; // (L,B,T,F)
  res3: Float32Array; // (L,B,T,D) residual after the MLP = the next layer's input
  lnf: Float32Array; lnfMean: Float32Array; lnfRstd: Float32Array; // (B,T,D), (B,T), (B,T)
  logits: Float32Array; // (B,T,V), becomes dlogits in the backward pass
  losses: Float32Array; // (B,T) per-position loss (0 where the position has no target)
  lse: Float64Array; // (B,T) log-sum-exp of each scored position's logits
  // backward scratch
  dres: Float32Array; // (B,T,D) gradient of the residual stream
  dln: Float32Array; datty: Float32Array; dq: Float32Array; dk: Float32Array; dv: Float32Array; // (B,T,D)
  dfch: Float32Array; // (B,T,F)
  acc: Float64Array; // (max(D, F, V, T)) row accumulator
  gather: GatherScratch; // (max(B·T, V)) non-zero entries of a dout row or column
}

export function planActivations(layout: ParamLayout, B: number, T: number): Activations {
  const { hiddenSize: D, intermediateSize: F, vocabSize: V, numLayers: L, numHeads: NH, maxPositions } = layout.config;
  if (T > maxPositions) throw new UsageError(`sequence length ${T} is longer than the model's ${maxPositions} positions`);
  const f = (n: number) => new Float32Array(n);
  const BT = B * T;
  return {
    B, T,
    encoded: f(BT * D),
    ln1: f(L * BT * D), ln1Mean: f(L * BT), ln1Rstd: f(L * BT),
    q: f(L * BT * D), k: f(L * BT * D), v: f(L * BT * D),
    att: f(L * B * NH * T * T),
    atty: f(L * BT * D),
    res2: f(L * BT * D),
    ln2: f(L * BT * D), ln2Mean: f(L * BT), ln2Rstd: f(L * BT),
    fch: f(L * BT * F), fchGelu: f(L * BT * F),
    res3: f(L * BT * D),
    lnf: f(BT * D), lnfMean: f(BT), lnfRstd: f(BT),
    logits: f(BT * V),
    losses: f(BT),
    lse: new Float64Array(BT),
    dres: f(BT * D), dln: f(BT * D), datty: f(BT * D), dq: f(BT * D), dk: f(BT * D), dv: f(BT * D),
    dfch: f(BT * F),
    acc: new Float64Array(Math.max(D, F, V, T)),
    gather: { rows: new Int32Array(Math.max(BT, V, F)), d: new Float64Array(Math.max(BT, V, F)) },
  };
}

/** Number of positions of a (B, T) batch that carry loss (labels ≠ −100 after the shift). */
export function countTargets(labels: Int32Array, B: number, T: number): number {
  let n = 0;
  for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) if (labels[b * T + t] !== IGNORE) n++;
  return n;
}

/**
 * Forward pass over ids/labels (B, T) ≤ the planned size; returns the summed loss over the
 * positions that have a target (float64). With allLogits, every position's logits are computed.
 */
export function gpt_forward(
  layout: ParamLayout, p: Float32Array, a: Activations, ids: Int32Array, labels: Int32Array,
  B: number, T: number, allLogits = false,
): number {
  const c = layout.config;
  const { hiddenSize: D, intermediateSize: F, vocabSize: V, numHeads: NH, layerNormEpsilon: eps } = c;
  if (B * T > a.B * a.T || T > a.T) throw new UsageError(`batch (${B}, ${T}) exceeds the planned (${a.B}, ${a.T})`);
  for (let i = 0; i < B * T; i++) {
    checkToken(ids[i]!, V);
    const lab = labels[i]!;
    if (lab !== IGNORE && !(lab >= 0 && lab < V)) throw new UsageError(`label ${lab} is outside the vocabulary (0..${V - 1}) and not −100`);
  }
  const BT = B * T;
  const BTD = BT * D;
  const view = (buf: Float32Array, l: number, n: number) => buf.subarray(l * n, (l + 1) * n);
  const vec = (o: number, n: number) => p.subarray(o, o + n);
  // strides of the planned buffers, so a smaller batch still finds layer l where it was planned
  const sD = a.B * a.T * D;
  const sN = a.B * a.T;
  const sF = a.B * a.T * F;
  const sA = a.B * NH * a.T * a.T;

  encoder_forward(a.encoded, ids, vec(layout.wte, V * D), vec(layout.wpe, c.maxPositions * D), B, T, D);
  for (let l = 0; l < c.numLayers; l++) {
    const o = layout.layers[l]!;
    const window = c.attentionLayers[l] === 'local' ? c.windowSize : 0;
    const inp = l === 0 ? a.encoded : view(a.res3, l - 1, sD);
    const ln1 = view(a.ln1, l, sD), q = view(a.q, l, sD), k = view(a.k, l, sD), v = view(a.v, l, sD);
    const att = view(a.att, l, sA), atty = view(a.atty, l, sD), res2 = view(a.res2, l, sD);
    const ln2 = view(a.ln2, l, sD), fch = view(a.fch, l, sF), fchGelu = view(a.fchGelu, l, sF), res3 = view(a.res3, l, sD);
    layernorm_forward(ln1, view(a.ln1Mean, l, sN), view(a.ln1Rstd, l, sN), inp, vec(o.ln1.weight, D), vec(o.ln1.bias, D), BT, D, eps);
    matmul_forward(q, ln1, vec(o.q, D * D), null, BT, D, D);
    matmul_forward(k, ln1, vec(o.k, D * D), null, BT, D, D);
    matmul_forward(v, ln1, vec(o.v, D * D), null, BT, D, D);
    attention_forward(atty, att, q, k, v, B, T, D, NH, window, c.attentionScale);
    matmul_forward(res2, atty, vec(o.out, D * D), vec(o.outBias, D), BT, D, D);
    residual_forward(res2, res2, inp, BTD);
    layernorm_forward(ln2, view(a.ln2Mean, l, sN), view(a.ln2Rstd, l, sN), res2, vec(o.ln2.weight, D), vec(o.ln2.bias, D), BT, D, eps);
    matmul_forward(fch, ln2, vec(o.fc, F * D), vec(o.fcBias, F), BT, D, F);
    gelu_forward(fchGelu, fch, BT * F);
    matmul_forward(res3, fchGelu, vec(o.proj, D * F), vec(o.projBias, D), BT, F, D);
    residual_forward(res3, res3, res2, BTD);
  }
  const last = c.numLayers === 0 ? a.encoded : view(a.res3, c.numLayers - 1, sD);
  layernorm_forward(a.lnf, a.lnfMean, a.lnfRstd, last, vec(layout.lnF.weight, D), vec(layout.lnF.bias, D), BT, D, eps);
  return classifier_forward(a.logits, a.losses, a.lse, a.lnf, vec(layout.wte, V * D), labels, B, T, D, V, allLogits);
}

/**
 * Backward pass after gpt_forward on the same batch: adds d(lossScale · Σ losses)/dp to g.
 * lossScale is 1 / (target count of the whole optimizer batch), so micro-batches and threads add up
 * to Hugging Face's mean loss.
 */
export function gpt_backward(
  layout: ParamLayout, p: Float32Array, g: Float32Array, a: Activations, ids: Int32Array, labels: Int32Array,
  B: number, T: number, lossScale: number,
): void {
  const c = layout.config;
  const { hiddenSize: D, intermediateSize: F, vocabSize: V, numHeads: NH } = c;
  const BT = B * T;
  const BTD = BT * D;
  const view = (buf: Float32Array, l: number, n: number) => buf.subarray(l * n, (l + 1) * n);
  const vec = (o: number, n: number) => p.subarray(o, o + n);
  const gvec = (o: number, n: number) => g.subarray(o, o + n);
  const sD = a.B * a.T * D;
  const sN = a.B * a.T;
  const sF = a.B * a.T * F;
  const sA = a.B * NH * a.T * a.T;
  const dres = a.dres.subarray(0, BTD);

  dres.fill(0);
  const dlnf = a.dln.subarray(0, BTD);
  dlnf.fill(0);
  classifier_backward(dlnf, gvec(layout.wte, V * D), a.logits, a.lse, a.lnf, vec(layout.wte, V * D), labels, B, T, D, V, lossScale, a.acc, a.gather);
  const last = c.numLayers === 0 ? a.encoded : view(a.res3, c.numLayers - 1, sD);
  layernorm_backward(dres, gvec(layout.lnF.weight, D), gvec(layout.lnF.bias, D), dlnf, last, vec(layout.lnF.weight, D), a.lnfMean, a.lnfRstd, BT, D);
  for (let l = c.numLayers - 1; l >= 0; l--) {
    const o = layout.layers[l]!;
    const window = c.attentionLayers[l] === 'local' ? c.windowSize : 0;
    const inp = l === 0 ? a.encoded : view(a.res3, l - 1, sD);
    const ln1 = view(a.ln1, l, sD), q = view(a.q, l, sD), k = view(a.k, l, sD), v = view(a.v, l, sD);
    const att = view(a.att, l, sA), atty = view(a.atty, l, sD), res2 = view(a.res2, l, sD);
    const ln2 = view(a.ln2, l, sD), fch = view(a.fch, l, sF), fchGelu = view(a.fchGelu, l, sF);
    const dln = a.dln.subarray(0, BTD), dfch = a.dfch.subarray(0, BT * F);
    const datty = a.datty.subarray(0, BTD), dq = a.dq.subarray(0, BTD), dk = a.dk.subarray(0, BTD), dv = a.dv.subarray(0, BTD);
    // MLP: res3 = res2 + proj(gelu(fc(ln2(res2)))); dres flows to res2 unchanged
    dfch.fill(0);
    matmul_backward(dfch, gvec(o.proj, D * F), gvec(o.projBias, D), dres, fchGelu, vec(o.proj, D * F), BT, F, D, a.acc, a.gather);
    gelu_backward(dfch, fch, dfch, BT * F);
    dln.fill(0);
    matmul_backward(dln, gvec(o.fc, F * D), gvec(o.fcBias, F), dfch, ln2, vec(o.fc, F * D), BT, D, F, a.acc, a.gather);
    layernorm_backward(dres, gvec(o.ln2.weight, D), gvec(o.ln2.bias, D), dln, res2, vec(o.ln2.weight, D), view(a.ln2Mean, l, sN), view(a.ln2Rstd, l, sN), BT, D);
    // attention: res2 = inp + out_proj(attn(q, k, v of ln1(inp)))
    datty.fill(0);
    matmul_backward(datty, gvec(o.out, D * D), gvec(o.outBias, D), dres, atty, vec(o.out, D * D), BT, D, D, a.acc, a.gather);
    dq.fill(0);
    dk.fill(0);
    dv.fill(0);
    attention_backward(dq, dk, dv, datty, q, k, v, att, a.acc, B, T, D, NH, window, c.attentionScale);
    dln.fill(0);
    matmul_backward(dln, gvec(o.q, D * D), null, dq, ln1, vec(o.q, D * D), BT, D, D, a.acc, a.gather);
    matmul_backward(dln, gvec(o.k, D * D), null, dk, ln1, vec(o.k, D * D), BT, D, D, a.acc, a.gather);
    matmul_backward(dln, gvec(o.v, D * D), null, dv, ln1, vec(o.v, D * D), BT, D, D, a.acc, a.gather);
    layernorm_backward(dres, gvec(o.ln1.weight, D), gvec(o.ln1.bias, D), dln, inp, vec(o.ln1.weight, D), view(a.ln1Mean, l, sN), view(a.ln1Rstd, l, sN), BT, D);
  }
  encoder_backward(gvec(layout.wte, V * D), gvec(layout.wpe, c.maxPositions * D), dres, ids, B, T, D);
}

// GPT-Neo forward and backward on the WebAssembly SIMD training kernels: the same model as gpt.ts
// (which stays the plain-JS oracle the tests hold this to), with every product a GEMM micro-kernel,
// attention, layer norm and gelu_new on kernels, and three memory savings: attention keeps one
// log-sum-exp per row instead of its (B,NH,T,T) weights (the backward pass recomputes them), the
// classifier and cross-entropy run fused over chunks of CHUNK scored positions (the (B·T, V)
// logits are never held), and positions without a target skip the classifier altogether.
// Everything lives in one kernel memory of its own (KernelArena): parameters, gradients,
// transposed weights, activations and scratch, planned once for (B, T).
import { UsageError } from '../errors.js';
import { at, KernelArena, trainKernelsAvailable, type TrainKernels } from '../kernels/train.js';
import { checkToken } from '../neo/engine.js';
import { IGNORE_LABEL as IGNORE } from './data.js';
import type { ParamLayout } from './params.js';

/** Scored positions per classifier chunk: the (V, CHUNK) logits of one chunk are all that is held. */
const CHUNK = 64;

type F32 = Float32Array;

/** One layer's activations (and its weights transposed for the forward products). */
interface LayerBuffers {
  ln1: F32; ln1Mean: F32; ln1Rstd: F32; // (BT,D), (BT), (BT)
  q: F32; k: F32; v: F32; // (BT,D)
  lse: F32; // (B,NH,T) log-sum-exp of each attention row
  atty: F32; res2: F32; // (BT,D)
  ln2: F32; ln2Mean: F32; ln2Rstd: F32;
  fch: F32; fchGelu: F32; // (BT,F)
  res3: F32; // (BT,D)
  qT: F32; kT: F32; vT: F32; outT: F32; // (D,D) Wᵀ
  fcT: F32; // (D,F)
  projT: F32; // (F,D)
}

/** True where the kernel trainer can run this model: SIMD available, widths multiples of 8, head size of 4. */
export function kernelTrainerSupports(layout: ParamLayout): boolean {
  const { hiddenSize: D, intermediateSize: F, numHeads: NH } = layout.config;
  return trainKernelsAvailable() && D % 8 === 0 && F % 8 === 0 && D % NH === 0 && (D / NH) % 4 === 0;
}

/** Row `to` of dst = row `from` of src (rows of D floats; no view objects in the per-position loop). */
function copyRow(dst: F32, to: number, src: F32, from: number, D: number): void {
  for (let i = 0; i < D; i++) dst[to * D + i] = src[from * D + i]!;
}

export class KernelGpt {
  /** Parameters (copy yours in with loadParams) and the gradient the passes add to. */
  params!: F32;
  grads!: F32;
  private readonly k: TrainKernels;
  private readonly layers: LayerBuffers[] = [];
  private encoded!: F32; lnf!: F32; lnfMean!: F32; lnfRstd!: F32; // (BT,D), (BT), (BT)
  private dres!: F32; dln!: F32; dlnf!: F32; datty!: F32; dq!: F32; dk!: F32; dv!: F32; // (BT,D)
  private dfch!: F32; // (BT,F)
  private attScratch!: F32;
  private cT!: F32; cRows!: F32; cGrad!: F32; // (D,CHUNK) lnf transposed, (CHUNK,D) its rows, (CHUNK,D) their gradient
  private logits!: F32; // (V,CHUNK) logits, then dlogits
  private targets!: Int32Array; // (CHUNK)
  private losses!: Float64Array; // (CHUNK)
  private ceScratch!: F32;
  private readonly positions: Int32Array; // (BT) scored positions of the current batch

  /** Plans buffers for batches of at most B rows of T tokens; check kernelTrainerSupports(layout) first. */
  constructor(readonly layout: ParamLayout, readonly B: number, readonly T: number) {
    const c = layout.config;
    const { hiddenSize: D, intermediateSize: F, vocabSize: V, numHeads: NH } = c;
    if (T > c.maxPositions) throw new UsageError(`sequence length ${T} is longer than the model's ${c.maxPositions} positions`);
    if (!kernelTrainerSupports(layout)) throw new UsageError('the training kernels need WebAssembly SIMD and widths that are multiples of 8');
    const BT = B * T;
    const arena = new KernelArena();
    const f = (n: number, bind: (v: F32) => void) => arena.reserve(n, Float32Array, bind);
    f(layout.total, (v) => (this.params = v));
    f(layout.total, (v) => (this.grads = v));
    for (let l = 0; l < c.numLayers; l++) {
      const b = {} as LayerBuffers;
      this.layers.push(b);
      for (const name of ['ln1', 'q', 'k', 'v', 'atty', 'res2', 'ln2', 'res3'] as const) f(BT * D, (v) => (b[name] = v));
      for (const name of ['ln1Mean', 'ln1Rstd', 'ln2Mean', 'ln2Rstd'] as const) f(BT, (v) => (b[name] = v));
      f(BT * NH, (v) => (b.lse = v));
      f(BT * F, (v) => (b.fch = v));
      f(BT * F, (v) => (b.fchGelu = v));
      for (const name of ['qT', 'kT', 'vT', 'outT'] as const) f(D * D, (v) => (b[name] = v));
      f(D * F, (v) => (b.fcT = v));
      f(D * F, (v) => (b.projT = v));
    }
    for (const name of ['encoded', 'lnf', 'dres', 'dln', 'dlnf', 'datty', 'dq', 'dk', 'dv'] as const) f(BT * D, (v) => (this[name] = v));
    f(BT, (v) => (this.lnfMean = v));
    f(BT, (v) => (this.lnfRstd = v));
    f(BT * F, (v) => (this.dfch = v));
    const T4 = ((T + 3) & ~3) + 4;
    f((4 * (D / NH) + 2) * T4, (v) => (this.attScratch = v));
    f(D * CHUNK, (v) => (this.cT = v));
    f(CHUNK * D, (v) => (this.cRows = v));
    f(CHUNK * D, (v) => (this.cGrad = v));
    f(V * CHUNK, (v) => (this.logits = v));
    arena.reserve(CHUNK, Int32Array, (v) => (this.targets = v));
    arena.reserve(CHUNK, Float64Array, (v) => (this.losses = v));
    f(4 * CHUNK, (v) => (this.ceScratch = v));
    this.k = arena.build().kernels;
    this.positions = new Int32Array(BT);
  }

  /** Copies the parameters in and transposes the weights of the forward products (once per step). */
  loadParams(p: F32): void {
    const { hiddenSize: D, intermediateSize: F } = this.layout.config;
    this.params.set(p);
    const w = (o: number) => at(this.params) + 4 * o;
    this.layers.forEach((b, l) => {
      const o = this.layout.layers[l]!;
      this.k.transpose(at(b.qT), w(o.q), D, D);
      this.k.transpose(at(b.kT), w(o.k), D, D);
      this.k.transpose(at(b.vT), w(o.v), D, D);
      this.k.transpose(at(b.outT), w(o.out), D, D);
      this.k.transpose(at(b.fcT), w(o.fc), F, D);
      this.k.transpose(at(b.projT), w(o.proj), D, F);
    });
  }

  /** Forward and backward over ids/labels (B, T): adds d(lossScale · Σ loss)/dp to grads; returns Σ loss (float64). */
  step(ids: Int32Array, labels: Int32Array, B: number, T: number, lossScale: number): number {
    const loss = this.forward(ids, labels, B, T, lossScale, true);
    this.backward(ids, B, T);
    return loss;
  }

  /** Σ loss over the positions with a target (forward only). */
  loss(ids: Int32Array, labels: Int32Array, B: number, T: number): number {
    return this.forward(ids, labels, B, T, 0, false);
  }

  private forward(ids: Int32Array, labels: Int32Array, B: number, T: number, lossScale: number, train: boolean): number {
    const c = this.layout.config;
    const { hiddenSize: D, intermediateSize: F, vocabSize: V, numHeads: NH, layerNormEpsilon: eps } = c;
    if (B * T > this.B * this.T || T > this.T) throw new UsageError(`batch (${B}, ${T}) exceeds the planned (${this.B}, ${this.T})`);
    const BT = B * T;
    const k = this.k;
    const p = (o: number) => at(this.params) + 4 * o;
    // encoder: token + position embeddings (a gather, in JS)
    const wte = this.layout.wte;
    const wpe = this.layout.wpe;
    for (let bt = 0; bt < BT; bt++) {
      const lab = labels[bt]!;
      if (lab !== IGNORE && !(lab >= 0 && lab < V)) throw new UsageError(`label ${lab} is outside the vocabulary (0..${V - 1}) and not −100`);
      const e = wte + checkToken(ids[bt]!, V) * D;
      const q = wpe + (bt % T) * D;
      for (let i = 0; i < D; i++) this.encoded[bt * D + i] = this.params[e + i]! + this.params[q + i]!;
    }
    let inp = this.encoded;
    this.layers.forEach((b, l) => {
      const o = this.layout.layers[l]!;
      const window = c.attentionLayers[l] === 'local' ? c.windowSize : 0;
      k.layernormForward(at(b.ln1), at(b.ln1Mean), at(b.ln1Rstd), at(inp), p(o.ln1.weight), p(o.ln1.bias), BT, D, eps);
      this.linear(b.q, b.ln1, b.qT, 0, BT, D, D);
      this.linear(b.k, b.ln1, b.kT, 0, BT, D, D);
      this.linear(b.v, b.ln1, b.vT, 0, BT, D, D);
      k.attentionForward(at(b.atty), at(b.lse), at(b.q), at(b.k), at(b.v), B, T, D, NH, window, c.attentionScale, at(this.attScratch));
      this.linear(b.res2, b.atty, b.outT, p(o.outBias), BT, D, D);
      k.addInto(at(b.res2), at(b.res2), at(inp), BT * D);
      k.layernormForward(at(b.ln2), at(b.ln2Mean), at(b.ln2Rstd), at(b.res2), p(o.ln2.weight), p(o.ln2.bias), BT, D, eps);
      this.linear(b.fch, b.ln2, b.fcT, p(o.fcBias), BT, D, F);
      k.geluForward(at(b.fchGelu), at(b.fch), BT * F);
      this.linear(b.res3, b.fchGelu, b.projT, p(o.projBias), BT, F, D);
      k.addInto(at(b.res3), at(b.res3), at(b.res2), BT * D);
      inp = b.res3;
    });
    k.layernormForward(at(this.lnf), at(this.lnfMean), at(this.lnfRstd), at(inp), p(this.layout.lnF.weight), p(this.layout.lnF.bias), BT, D, eps);
    return this.classifier(labels, B, T, lossScale, train);
  }

  /** y (N, OC) = x (N, C) · Wᵀ (+ bias), wT = Wᵀ (C, OC). */
  private linear(y: F32, x: F32, wT: F32, bias: number, N: number, C: number, OC: number): void {
    this.k.gemmStrided(at(y), at(x), at(wT), bias, N, OC, C, C, 1, OC, OC, 0);
  }

  /**
   * The tied classifier and the shifted cross-entropy over the positions that have a target, CHUNK
   * at a time; with train, also the classifier's backward: dlnf (its rows for unscored positions
   * 0) and wte's gradient. Returns Σ loss.
   */
  private classifier(labels: Int32Array, B: number, T: number, lossScale: number, train: boolean): number {
    const { hiddenSize: D, vocabSize: V } = this.layout.config;
    const k = this.k;
    const wte = at(this.params) + 4 * this.layout.wte;
    const dwte = at(this.grads) + 4 * this.layout.wte;
    let count = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < T; t++) if (labels[b * T + t + 1] !== IGNORE) this.positions[count++] = b * T + t;
    }
    if (train) this.dlnf.fill(0, 0, B * T * D);
    let total = 0;
    for (let c0 = 0; c0 < count; c0 += CHUNK) {
      const n = Math.min(CHUNK, count - c0);
      for (let r = 0; r < CHUNK; r++) {
        if (r < n) {
          const pos = this.positions[c0 + r]!;
          copyRow(this.cRows, r, this.lnf, pos, D);
          this.targets[r] = labels[pos + 1]!;
        } else {
          this.cRows.fill(0, r * D, (r + 1) * D);
          this.targets[r] = -1;
        }
      }
      k.transpose(at(this.cT), at(this.cRows), CHUNK, D);
      // logitsᵀ (V, CHUNK) = wte (V, D) · lnfᵀ (D, CHUNK)
      k.gemmStrided(at(this.logits), wte, at(this.cT), 0, V, CHUNK, D, D, 1, CHUNK, CHUNK, 0);
      k.crossEntropy(at(this.logits), at(this.targets), at(this.losses), V, CHUNK, lossScale, at(this.ceScratch));
      for (let r = 0; r < n; r++) total += this.losses[r]!;
      if (!train) continue;
      // dlnf rows (CHUNK, D) = dlogits (CHUNK, V) · wte (V, D); dwte (V, D) += dlogitsᵀ (V, CHUNK) · rows (CHUNK, D)
      k.gemmStrided(at(this.cGrad), at(this.logits), wte, 0, CHUNK, D, V, 1, CHUNK, D, D, 0);
      k.gemmStrided(dwte, at(this.logits), at(this.cRows), 0, V, D, CHUNK, CHUNK, 1, D, D, 1);
      for (let r = 0; r < n; r++) copyRow(this.dlnf, this.positions[c0 + r]!, this.cGrad, r, D);
    }
    return total;
  }

  /** The backward pass below the classifier (whose part forward(train) did), adding to grads. */
  private backward(ids: Int32Array, B: number, T: number): void {
    const c = this.layout.config;
    const { hiddenSize: D, intermediateSize: F, vocabSize: V, numHeads: NH } = c;
    const BT = B * T;
    const k = this.k;
    const p = (o: number) => at(this.params) + 4 * o;
    const g = (o: number) => at(this.grads) + 4 * o;
    const L = c.numLayers;
    const last = L === 0 ? this.encoded : this.layers[L - 1]!.res3;
    this.dres.fill(0, 0, BT * D);
    k.layernormBackward(at(this.dres), g(this.layout.lnF.weight), g(this.layout.lnF.bias), at(this.dlnf), at(last), p(this.layout.lnF.weight), at(this.lnfMean), at(this.lnfRstd), BT, D);
    for (let l = L - 1; l >= 0; l--) {
      const b = this.layers[l]!;
      const o = this.layout.layers[l]!;
      const window = c.attentionLayers[l] === 'local' ? c.windowSize : 0;
      const inp = l === 0 ? this.encoded : this.layers[l - 1]!.res3;
      // MLP: res3 = res2 + proj(gelu(fc(ln2(res2)))); dres flows to res2 unchanged
      this.linearBackward(this.dfch, false, p(o.proj), g(o.proj), g(o.projBias), this.dres, b.fchGelu, BT, F, D);
      k.geluBackward(at(this.dfch), at(b.fch), at(this.dfch), BT * F);
      this.linearBackward(this.dln, false, p(o.fc), g(o.fc), g(o.fcBias), this.dfch, b.ln2, BT, D, F);
      k.layernormBackward(at(this.dres), g(o.ln2.weight), g(o.ln2.bias), at(this.dln), at(b.res2), p(o.ln2.weight), at(b.ln2Mean), at(b.ln2Rstd), BT, D);
      // attention: res2 = inp + out_proj(attn(q, k, v of ln1(inp)))
      this.linearBackward(this.datty, false, p(o.out), g(o.out), g(o.outBias), this.dres, b.atty, BT, D, D);
      k.attentionBackward(at(this.dq), at(this.dk), at(this.dv), at(this.datty), at(b.q), at(b.k), at(b.v), at(b.lse), B, T, D, NH, window, c.attentionScale, at(this.attScratch));
      this.linearBackward(this.dln, false, p(o.q), g(o.q), 0, this.dq, b.ln1, BT, D, D);
      this.linearBackward(this.dln, true, p(o.k), g(o.k), 0, this.dk, b.ln1, BT, D, D);
      this.linearBackward(this.dln, true, p(o.v), g(o.v), 0, this.dv, b.ln1, BT, D, D);
      k.layernormBackward(at(this.dres), g(o.ln1.weight), g(o.ln1.bias), at(this.dln), at(inp), p(o.ln1.weight), at(b.ln1Mean), at(b.ln1Rstd), BT, D);
    }
    // encoder: scatter the residual stream's gradient into the embeddings' (in JS)
    const gw = this.grads;
    const dres = this.dres;
    for (let bt = 0; bt < BT; bt++) {
      const e = this.layout.wte + checkToken(ids[bt]!, V) * D;
      const q = this.layout.wpe + (bt % T) * D;
      for (let i = 0; i < D; i++) {
        const d = dres[bt * D + i]!;
        gw[e + i] += d;
        gw[q + i] += d;
      }
    }
  }

  /**
   * Backward of y = x · Wᵀ + b, W (OC, C) at byte offset w: dx (N, C) = (or += with add) dy · W,
   * dW (OC, C) += dyᵀ · x, db (OC) += Σ dy (db 0: no bias).
   */
  private linearBackward(dx: F32, add: boolean, w: number, dw: number, db: number, dy: F32, x: F32, N: number, C: number, OC: number): void {
    const k = this.k;
    k.gemmStrided(at(dx), at(dy), w, 0, N, C, OC, OC, 1, C, C, add ? 1 : 0);
    k.gemmStrided(dw, at(dy), at(x), 0, OC, C, N, 1, OC, C, C, 1);
    if (db) k.columnSums(db, at(dy), N, OC);
  }
}

// The optimizer side of a training step, with PyTorch's semantics: clip_grad_norm_, AdamW
// (decoupled weight decay p -= lr·wd·p before the Adam update) and the fine-tune recipe's
// schedule (firmware-format.md 7.2: linear warm-up from 0, then cosine down to 1e-5).

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** Adam's state: first and second moments, one float32 per parameter, and the step count. */
export interface AdamWState {
  m: Float32Array;
  v: Float32Array;
  t: number; // steps taken
}

export function adamwState(n: number): AdamWState {
  return { m: new Float32Array(n), v: new Float32Array(n), t: 0 };
}

/** One torch.optim.AdamW step over every parameter (float32 storage, float64 arithmetic per element). */
export function adamw_update(p: Float32Array, g: Float32Array, s: AdamWState, lr: number, o: AdamWSettings): void {
  s.t += 1;
  const { beta1, beta2, eps, weightDecay } = o;
  const bc1 = 1 - beta1 ** s.t;
  const bc2Sqrt = Math.sqrt(1 - beta2 ** s.t);
  const stepSize = lr / bc1;
  const decay = Math.fround(1 - lr * weightDecay);
  const { m, v } = s;
  for (let i = 0; i < p.length; i++) {
    const grad = g[i]!;
    p[i] = p[i]! * decay;
    m[i] = m[i]! * beta1 + (1 - beta1) * grad;
    v[i] = v[i]! * beta2 + (1 - beta2) * grad * grad;
    const denom = Math.fround(Math.fround(Math.sqrt(v[i]!)) / bc2Sqrt) + eps;
    p[i] = p[i]! - stepSize * Math.fround(m[i]! / Math.fround(denom));
  }
}

/** L2 norm of all gradients (float64 sum). */
export function gradNorm(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

/** torch.nn.utils.clip_grad_norm_: scales g by min(1, maxNorm / (norm + 1e-6)); returns the norm before clipping. */
export function clipGradNorm(g: Float32Array, maxNorm: number): number {
  const norm = gradNorm(g);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  return norm;
}

export interface Schedule {
  lr: number; // peak learning rate
  warmup: number; // steps of linear warm-up (the recipe: 200)
  minLr: number; // cosine floor (the recipe: 1e-5)
  total: number; // total optimizer steps S
}

/** Learning rate at 0-based step s: lr·s/warmup, then minLr + ½(lr − minLr)(1 + cos πp), p = (s − warmup)/max(1, S − warmup). */
export function learningRate(s: number, sch: Schedule): number {
  if (s < sch.warmup) return (sch.lr * s) / sch.warmup;
  const p = (s - sch.warmup) / Math.max(1, sch.total - sch.warmup);
  return sch.minLr + 0.5 * (sch.lr - sch.minLr) * (1 + Math.cos(Math.PI * p));
}

/** The recipe's 200 warm-up steps, shortened to a tenth of the run (at least 1) for runs under 2,000 steps. */
export function defaultWarmup(total: number): number {
  return Math.min(200, Math.max(1, Math.ceil(total / 10)));
}

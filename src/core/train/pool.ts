// Training threads over shared memory: the batch's rows are split in fixed contiguous shares, each
// thread adds its gradients to its own buffer, and the calling thread sums the buffers in thread
// order, so a run is bit-for-bit reproducible for a given thread count. One thread runs in the
// calling thread on plain memory (no SharedArrayBuffer needed: pages without cross-origin
// isolation). How a thread is started is the platform's (Node worker threads, Web Workers): it
// runs shareRunner on the buffers it is given and answers one request at a time.
import { UsageError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import { planActivations } from './gpt.js';
import { KernelGpt, kernelTrainerSupports } from './kernel-gpt.js';
import { paramLayout, type ParamLayout } from './params.js';
import { accumulateGradients, accumulateGradientsKernel, sumLoss, sumLossKernel } from './step.js';

/**
 * Tokens of activations a thread plans at most: its share of a batch runs in chunks of this many
 * (at least one sequence), which keeps memory flat whatever the batch size.
 */
const CHUNK_TOKENS = 512;

/** What a thread is started with: the shared buffers and the size of its chunks. */
export interface ShareInit {
  type: 'init';
  config: NeoConfig;
  params: ArrayBufferLike;
  grads: ArrayBufferLike;
  ids: ArrayBufferLike;
  labels: ArrayBufferLike;
  rows: number; // activation rows to plan
  T: number;
}

export type ShareRequest =
  | { type: 'zero' }
  | { type: 'backward'; r0: number; r1: number; lossScale: number }
  | { type: 'loss'; r0: number; r1: number };

/**
 * A thread's side: its activations planned once, then each request answered with a number. On the
 * training kernels (where they run) the thread has a kernel memory of its own: each request copies
 * the shared parameters in, and the thread's gradient out to its shared buffer.
 */
export function shareRunner(init: ShareInit): (req: ShareRequest) => number {
  const layout = paramLayout(init.config);
  const p = new Float32Array(init.params);
  const g = new Float32Array(init.grads);
  const ids = new Int32Array(init.ids);
  const labels = new Int32Array(init.labels);
  if (kernelTrainerSupports(layout)) {
    const engine = new KernelGpt(layout, init.rows, init.T);
    return (req) => {
      switch (req.type) {
        case 'zero':
          engine.grads.fill(0);
          g.fill(0);
          return 0;
        case 'backward': {
          engine.loadParams(p);
          const loss = accumulateGradientsKernel(engine, ids, labels, req.r0, req.r1, init.T, req.lossScale);
          g.set(engine.grads);
          return loss;
        }
        case 'loss':
          engine.loadParams(p);
          return sumLossKernel(engine, ids, labels, req.r0, req.r1, init.T);
      }
    };
  }
  const acts = planActivations(layout, init.rows, init.T);
  return (req) => {
    switch (req.type) {
      case 'zero':
        g.fill(0);
        return 0;
      case 'backward':
        return accumulateGradients(layout, p, g, acts, ids, labels, req.r0, req.r1, init.T, req.lossScale);
      case 'loss':
        return sumLoss(layout, p, acts, ids, labels, req.r0, req.r1, init.T);
    }
  };
}

/** A started thread, seen from the calling thread. */
export interface PoolThread {
  call(req: ShareRequest): Promise<number>;
  close(): Promise<void>;
}

/** Starts a thread that runs shareRunner(init) (Node: a worker thread; browsers: a Web Worker). */
export type StartThread = (init: ShareInit) => Promise<PoolThread>;

export class TrainPool {
  private constructor(
    readonly layout: ParamLayout,
    /** Parameters, shared with every thread: update them in place. */
    readonly params: Float32Array,
    /** The step's summed gradient (after reduce()). */
    readonly grads: Float32Array,
    /** Batch input: (rows, T) ids and labels, shared with every thread. */
    readonly ids: Int32Array,
    readonly labels: Int32Array,
    readonly rows: number,
    readonly T: number,
    private readonly threads: PoolThread[],
    /** Each thread's gradient buffer, in thread order. */
    private readonly threadGrads: Float32Array[],
  ) {}

  /**
   * rows: the most rows one call handles (a micro-batch); threads: 1 runs in this thread, more
   * need SharedArrayBuffer and `start`.
   */
  static async create(layout: ParamLayout, params: Float32Array, threads: number, rows: number, T: number, start?: StartThread): Promise<TrainPool> {
    const n = Math.max(1, Math.min(threads, rows));
    if (n > 1 && (!start || typeof SharedArrayBuffer !== 'function')) {
      throw new UsageError(`${n} training threads need shared memory (SharedArrayBuffer) and a way to start threads; use 1 thread here`);
    }
    const buffer = (count: number): ArrayBufferLike => (n > 1 ? new SharedArrayBuffer(count * 4) : new ArrayBuffer(count * 4));
    const pBuf = buffer(layout.total);
    const p = new Float32Array(pBuf);
    p.set(params);
    const ids = buffer(rows * T);
    const labels = buffer(rows * T);
    const chunk = Math.max(1, Math.min(Math.ceil(rows / n), Math.floor(CHUNK_TOKENS / T)));
    const init = (): ShareInit => ({ type: 'init', config: layout.config, params: pBuf, grads: buffer(layout.total), ids, labels, rows: chunk, T });
    const inits = Array.from({ length: n }, init);
    const list = n === 1 ? [inProcess(inits[0]!)] : await Promise.all(inits.map((i) => start!(i)));
    const threadGrads = inits.map((i) => new Float32Array(i.grads));
    const grads = n === 1 ? threadGrads[0]! : new Float32Array(layout.total);
    return new TrainPool(layout, p, grads, new Int32Array(ids), new Int32Array(labels), rows, T, list, threadGrads);
  }

  get threadCount(): number {
    return this.threads.length;
  }

  /** Thread i's share of `rows` rows: [r0, r1). */
  private share(i: number, rows: number): [number, number] {
    const n = this.threads.length;
    return [Math.floor((i * rows) / n), Math.floor(((i + 1) * rows) / n)];
  }

  async zeroGrads(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.call({ type: 'zero' })));
  }

  /** Forward + backward over the first `rows` rows of ids/labels, adding to each thread's gradient; Σ loss. */
  async backward(rows: number, lossScale: number): Promise<number> {
    const sums = await Promise.all(this.threads.map((t, i) => {
      const [r0, r1] = this.share(i, rows);
      return r1 > r0 ? t.call({ type: 'backward', r0, r1, lossScale }) : Promise.resolve(0);
    }));
    return sums.reduce((a, b) => a + b, 0);
  }

  /** Σ loss over the first `rows` rows (forward only). */
  async loss(rows: number): Promise<number> {
    const sums = await Promise.all(this.threads.map((t, i) => {
      const [r0, r1] = this.share(i, rows);
      return r1 > r0 ? t.call({ type: 'loss', r0, r1 }) : Promise.resolve(0);
    }));
    return sums.reduce((a, b) => a + b, 0);
  }

  /** grads = Σ thread gradients, in thread order (deterministic). */
  reduce(): void {
    if (this.threads.length === 1) return;
    const g = this.grads;
    g.set(this.threadGrads[0]!);
    for (let t = 1; t < this.threadGrads.length; t++) {
      const src = this.threadGrads[t]!;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! + src[i]!;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

/** The one thread of a single-threaded pool: the calling thread itself. */
function inProcess(init: ShareInit): PoolThread {
  const run = shareRunner(init);
  return { call: async (req) => run(req), close: async () => {} };
}

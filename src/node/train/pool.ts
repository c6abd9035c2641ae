// Training threads over shared memory: the batch's rows are split in fixed contiguous shares, each
// thread adds its gradients to its own buffer, and the main thread sums the buffers in thread order,
// so a run is bit-for-bit reproducible for a given thread count. One thread runs in-process.
import { TinyTalkError } from '../../core/errors.js';
import type { NeoConfig } from '../../core/neo/config.js';
import { planActivations } from '../../core/train/gpt.js';
import type { ParamLayout } from '../../core/train/params.js';
import { accumulateGradients, sumLoss } from '../../core/train/step.js';
import { startWorker } from '../threads/start-worker.js';

export interface WorkerInit {
  type: 'init';
  config: NeoConfig;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  ids: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  rows: number; // activation rows to plan
  T: number;
}

export type WorkerRequest =
  | { type: 'zero' }
  | { type: 'backward'; r0: number; r1: number; lossScale: number }
  | { type: 'loss'; r0: number; r1: number };

interface Thread {
  grads: Float32Array;
  call(req: WorkerRequest): Promise<number>;
  close(): Promise<void>;
}

async function spawnThread(init: WorkerInit): Promise<Thread> {
  const worker = startWorker(import.meta.url, 'train-worker');
  let pending: { resolve(v: number): void; reject(e: Error): void } | undefined;
  const fail = (e: Error) => {
    pending?.reject(e);
    pending = undefined;
  };
  worker.on('message', (m: { value?: number; error?: string }) => {
    const p = pending;
    pending = undefined;
    if (m.error !== undefined) p?.reject(new TinyTalkError(m.error));
    else p?.resolve(m.value!);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new TinyTalkError(`training thread exited (code ${code})`)));
  const call = (msg: WorkerInit | WorkerRequest) =>
    new Promise<number>((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage(msg);
    });
  await call(init);
  return {
    grads: new Float32Array(init.grads),
    call,
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

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
    private readonly threads: Thread[],
  ) {}

  /** rows: the most rows one call handles (a micro-batch); threads: 1 runs in this thread. */
  static async create(layout: ParamLayout, params: Float32Array, threads: number, rows: number, T: number): Promise<TrainPool> {
    const shared = (n: number) => new SharedArrayBuffer(n * 4);
    const pSab = shared(layout.total);
    const p = new Float32Array(pSab);
    p.set(params);
    const ids = shared(rows * T);
    const labels = shared(rows * T);
    const n = Math.max(1, Math.min(threads, rows));
    const share = Math.ceil(rows / n);
    let list: Thread[];
    if (n === 1) {
      const grads = new Float32Array(layout.total);
      const acts = planActivations(layout, rows, T);
      const idv = new Int32Array(ids);
      const labv = new Int32Array(labels);
      const call = async (req: WorkerRequest): Promise<number> => {
        if (req.type === 'zero') {
          grads.fill(0);
          return 0;
        }
        if (req.type === 'backward') return accumulateGradients(layout, p, grads, acts, idv, labv, req.r0, req.r1, T, req.lossScale);
        return sumLoss(layout, p, acts, idv, labv, req.r0, req.r1, T);
      };
      list = [{ grads, call, close: async () => {} }];
    } else {
      list = await Promise.all(
        Array.from({ length: n }, () =>
          spawnThread({ type: 'init', config: layout.config, params: pSab, grads: shared(layout.total), ids, labels, rows: share, T }),
        ),
      );
    }
    const grads = n === 1 ? list[0]!.grads : new Float32Array(layout.total);
    return new TrainPool(layout, p, grads, new Int32Array(ids), new Int32Array(labels), rows, T, list);
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
    g.set(this.threads[0]!.grads);
    for (let t = 1; t < this.threads.length; t++) {
      const src = this.threads[t]!.grads;
      for (let i = 0; i < g.length; i++) g[i] = g[i]! + src[i]!;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

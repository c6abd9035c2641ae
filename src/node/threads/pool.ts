// Worker threads for the kernels: each worker runs the same WebAssembly kernels over the same
// shared kernel memory (weights placed once, never copied per thread) and takes one slice of
// the rows of every large product (prompt passes, the classifier, batched decoding, training).
import type { Worker } from 'node:worker_threads';
import { UsageError } from '../../core/errors.js';
import { kernelMemory, releaseWorkers, setKernelThreads } from '../../core/kernels/wasm.js';
import { startWorker } from './start-worker.js';

export interface KernelThreads {
  /** Threads splitting large products, the calling thread included. */
  readonly threads: number;
  /** Stops the workers; products run on the calling thread alone again. */
  close(): Promise<void>;
}

/** The workers serving now, each as the promise of its exit. */
let running: Array<{ worker: Worker; exited: Promise<void> }> = [];

async function stopAll(): Promise<void> {
  const k = kernelMemory();
  if (k && running.length > 0) releaseWorkers(k);
  // ref again while waiting: an unref'd worker's exit alone would not keep the process alive
  for (const w of running) w.worker.ref();
  await Promise.all(running.map((w) => w.exited));
  running = [];
}

function spawn(index: number): Promise<{ worker: Worker; exited: Promise<void> }> {
  const k = kernelMemory()!;
  const worker = startWorker(import.meta.url, 'kernel-worker', {
    module: k.module, memory: k.memory, controlAt: k.controlAt, index,
  });
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    worker.once('message', () => {
      worker.unref();
      resolve({ worker, exited });
    });
    worker.once('error', reject);
  });
}

/**
 * Splits large products over `threads` threads (1 = the calling thread only). Replaces any
 * earlier setting. Where the kernel memory cannot be shared (no SharedArrayBuffer, or the
 * plain-JS kernels), stays at one thread.
 */
export async function startKernelThreads(threads: number): Promise<KernelThreads> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new UsageError(`threads must be an integer from 1 to 64, got ${threads}`);
  }
  await stopAll();
  const k = kernelMemory();
  if (!k?.shared || threads === 1) return { threads: 1, close: async () => {} };
  running = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => spawn(i + 1)));
  setKernelThreads(k, threads);
  return { threads, close: stopAll };
}

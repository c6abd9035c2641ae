// Training threads in the browser, the twin of src/node/train/pool.ts: each thread is a Web Worker
// (train-thread.ts) over SharedArrayBuffer, which browsers give only to cross-origin isolated
// pages; the split and the reduction are core/train/pool.ts's.
import { TinyTalkError } from '../core/errors.js';
import type { ParamLayout } from '../core/train/params.js';
import { TrainPool, type PoolThread, type ShareInit, type ShareRequest } from '../core/train/pool.js';

async function startThread(init: ShareInit): Promise<PoolThread> {
  const worker = new Worker(new URL('./train-thread.js', import.meta.url), { type: 'module' });
  let pending: { resolve(v: number): void; reject(e: Error): void } | undefined;
  const settle = (m: { value?: number; error?: string }) => {
    const p = pending;
    pending = undefined;
    if (m.error !== undefined) p?.reject(new TinyTalkError(m.error));
    else p?.resolve(m.value!);
  };
  worker.onmessage = (event: MessageEvent<{ value?: number; error?: string }>) => settle(event.data);
  worker.onerror = (event) => settle({ error: `training thread failed: ${event.message}` });
  const call = (msg: ShareInit | ShareRequest) =>
    new Promise<number>((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage(msg);
    });
  await call(init);
  return { call, close: async () => worker.terminate() };
}

/** Threads this page may run: 1 unless it is cross-origin isolated (SharedArrayBuffer). */
export function threadsAllowed(wanted: number): number {
  return globalThis.crossOriginIsolated ? wanted : 1;
}

/** A training pool whose threads beyond the first are Web Workers. */
export function trainPool(layout: ParamLayout, params: Float32Array, threads: number, rows: number, T: number): Promise<TrainPool> {
  return TrainPool.create(layout, params, threadsAllowed(threads), rows, T, startThread);
}

// Training threads in Node: each is a worker thread (train-worker.ts) running its share of every
// step over shared memory; the split and the reduction are core/train/pool.ts's.
import { TinyTalkError } from '../../core/errors.js';
import type { ParamLayout } from '../../core/train/params.js';
import { TrainPool, type PoolThread, type ShareInit, type ShareRequest } from '../../core/train/pool.js';
import { startWorker } from '../threads/start-worker.js';

async function startThread(init: ShareInit): Promise<PoolThread> {
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
  const call = (msg: ShareInit | ShareRequest) =>
    new Promise<number>((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage(msg);
    });
  await call(init);
  return {
    call,
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** A training pool whose threads beyond the first are Node worker threads. */
export function trainPool(layout: ParamLayout, params: Float32Array, threads: number, rows: number, T: number): Promise<TrainPool> {
  return TrainPool.create(layout, params, threads, rows, T, startThread);
}

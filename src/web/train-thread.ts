// A training thread in the browser, the twin of src/node/train/train-worker.ts: runs its share of
// every step (core/train/pool.ts shareRunner) on the SharedArrayBuffers it was started with.
import { shareRunner, type ShareInit, type ShareRequest } from '../core/train/pool.js';

let run: ((req: ShareRequest) => number) | undefined;

self.onmessage = (event: MessageEvent<ShareInit | ShareRequest>) => {
  const msg = event.data;
  try {
    if (msg.type === 'init') {
      run = shareRunner(msg);
      postMessage({ value: 0 });
    } else postMessage({ value: run!(msg) });
  } catch (err) {
    postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};

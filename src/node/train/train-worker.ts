// A training thread: runs its share of every step (core/train/pool.ts shareRunner) on the shared
// buffers it was started with, one request at a time.
import { parentPort } from 'node:worker_threads';
import { shareRunner, type ShareInit, type ShareRequest } from '../../core/train/pool.js';

const port = parentPort!;
let run: ((req: ShareRequest) => number) | undefined;

port.on('message', (msg: ShareInit | ShareRequest) => {
  try {
    if (msg.type === 'init') {
      run = shareRunner(msg);
      port.postMessage({ value: 0 });
    } else port.postMessage({ value: run!(msg) });
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});

// A kernel worker thread: serves its slice of every large product until told to stop.
import { parentPort, workerData } from 'node:worker_threads';
import { serveSlices } from '../../core/kernels/parallel.js';

const { module, memory, controlAt, index } = workerData as {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  controlAt: number;
  index: number;
};
serveSlices(module, memory, controlAt, index, () => parentPort!.postMessage('ready'));

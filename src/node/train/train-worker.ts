// A training thread: owns activations for its share of the rows and its own gradient buffer, both
// in memory planned once; parameters and the batch are shared with the main thread.
import { parentPort } from 'node:worker_threads';
import { planActivations } from '../../core/train/gpt.js';
import { paramLayout } from '../../core/train/params.js';
import { accumulateGradients, sumLoss } from '../../core/train/step.js';
import type { WorkerInit, WorkerRequest } from './pool.js';

const port = parentPort!;
let run: ((req: WorkerRequest) => number) | undefined;

port.on('message', (msg: WorkerInit | WorkerRequest) => {
  if (msg.type === 'init') {
    const layout = paramLayout(msg.config);
    const p = new Float32Array(msg.params);
    const g = new Float32Array(msg.grads);
    const ids = new Int32Array(msg.ids);
    const labels = new Int32Array(msg.labels);
    const acts = planActivations(layout, msg.rows, msg.T);
    run = (req) => {
      switch (req.type) {
        case 'zero':
          g.fill(0);
          return 0;
        case 'backward':
          return accumulateGradients(layout, p, g, acts, ids, labels, req.r0, req.r1, msg.T, req.lossScale);
        case 'loss':
          return sumLoss(layout, p, acts, ids, labels, req.r0, req.r1, msg.T);
      }
    };
    port.postMessage({ value: 0 });
    return;
  }
  try {
    port.postMessage({ value: run!(msg) });
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});

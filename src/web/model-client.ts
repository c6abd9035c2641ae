// The page's side of one model worker (worker.ts): load files or a checkpoint into it, then ask it
// for streamed replies. The page keeps two: the original model and the tuned one.
import type { FromWorker, NamedFile, ReplyRequest, ToWorker } from './protocol.js';
import type { ReplyStats } from './server-runner.js';

export class ModelClient {
  private readonly worker = new Worker('worker.js', { type: 'module' });
  private nextId = 1;
  private readonly pending = new Map<number, { onText(t: string): void; resolve(s: ReplyStats): void; reject(e: Error): void }>();
  ready = false;

  /** onLoaded: the model's description, or an error message when it could not be loaded. */
  constructor(onLoaded: (description: string | undefined, error?: string) => void) {
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      if (m.type === 'loaded') {
        this.ready = true;
        onLoaded(m.description);
      } else if (m.type === 'text') this.pending.get(m.id)?.onText(m.text);
      else if (m.type === 'done') {
        this.pending.get(m.id)?.resolve({ tokens: m.tokens, ms: m.ms, reason: m.reason });
        this.pending.delete(m.id);
      } else if (m.id !== undefined) {
        this.pending.get(m.id)?.reject(new Error(m.message));
        this.pending.delete(m.id);
      } else onLoaded(undefined, m.message);
    };
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** Copies of the files go to the worker: the page keeps its own for the other workers. */
  load(files: NamedFile[]): void {
    this.ready = false;
    this.post({ type: 'load', files });
  }

  /** The loaded model with a checkpoint's parameters (handed over: do not use `params` after). */
  weights(params: Float32Array, label: string): void {
    this.ready = false;
    this.post({ type: 'weights', params, label }, [params.buffer]);
  }

  reply(request: ReplyRequest, onText: (t: string) => void): { done: Promise<ReplyStats>; stop(): void } {
    const id = this.nextId++;
    const done = new Promise<ReplyStats>((resolve, reject) => this.pending.set(id, { onText, resolve, reject }));
    this.post({ type: 'reply', id, request });
    return { done, stop: () => this.post({ type: 'stop', id }) };
  }
}

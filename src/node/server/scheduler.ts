// Continuous batching: every step runs ONE forward pass over all active sequences (each request is a
// sequence with its own KV cache), admits waiting requests between steps and drops finished or
// cancelled ones at once. It drives the core's Engine interface and knows nothing of HTTP.
import type { Engine, Sequence } from '../../core/neo/engine.js';
import { ApiError } from './errors.js';

/** The part of the engine the scheduler uses. */
export type BatchEngine = Pick<Engine, 'config' | 'context' | 'maxBatch' | 'newSequence' | 'prefill' | 'decode' | 'rewind'>;

/** OpenAI's finish_reason: 'stop' (EOS or a stop string) or 'length' (max_tokens or the context end). */
export type ApiFinishReason = 'stop' | 'length';

export interface Job {
  promptIds: readonly number[];
  /** Most tokens to generate (the scheduler also stops at the end of the context). */
  maxTokens: number;
  /** Picks the next token from the logits (the request's own sampler and random state). */
  sample(logits: Float32Array): number;
  /** Receives each generated token; returns true to stop here (end of text, a stop string). */
  onToken(id: number): boolean;
  /** Called once: finished (stop/length) or failed. Never called for a cancelled job. */
  onEnd(result: { reason: ApiFinishReason } | { error: unknown }): void;
}

export interface JobHandle {
  /** Frees the job's slot (a client went away): no more callbacks. */
  cancel(): void;
}

export interface SchedulerOptions {
  /** Sequences decoded together in one step. */
  maxBatch: number;
  /** Requests allowed to wait for a slot; more are refused with 429. */
  maxQueue: number;
  /** Prompt tokens prefilled between two decode steps (at least one prompt is always admitted). */
  prefillTokensPerStep: number;
}

interface Slot {
  job: Job;
  seq: Sequence | undefined;
  generated: number;
  last: number; // token to feed in the next step
  cancelled: boolean;
}

export class Scheduler {
  private readonly waiting: Slot[] = [];
  private active: Slot[] = [];
  /** Sequences of finished requests, rewound and reused (their KV caches are allocated once). */
  private readonly free: Sequence[] = [];
  private readonly maxBatch: number;
  private running = false;
  /** Forward passes run so far, and the sequences they carried (for /health and tests). */
  steps = 0;
  decodedTokens = 0;

  constructor(
    private readonly engine: BatchEngine,
    private readonly options: SchedulerOptions,
  ) {
    this.maxBatch = Math.max(1, Math.min(options.maxBatch, engine.maxBatch));
  }

  get activeCount(): number {
    return this.active.length;
  }
  get waitingCount(): number {
    return this.waiting.length;
  }

  submit(job: Job): JobHandle {
    if (this.waiting.length >= this.options.maxQueue) {
      throw new ApiError(429, `The server is busy: ${this.waiting.length} requests are already waiting; retry later`, 'rate_limit_error', null, 'queue_full');
    }
    const slot: Slot = { job, seq: undefined, generated: 0, last: -1, cancelled: false };
    this.waiting.push(slot);
    if (!this.running) {
      // Start on the next turn of the event loop, so requests that arrive together share the first pass.
      this.running = true;
      setImmediate(() => void this.loop());
    }
    return {
      cancel: () => {
        slot.cancelled = true;
        const i = this.waiting.indexOf(slot);
        if (i >= 0) this.waiting.splice(i, 1);
      },
    };
  }

  private async loop(): Promise<void> {
    try {
      while (this.waiting.length > 0 || this.active.length > 0) {
        this.admit();
        this.step();
        // Let sockets flush, new requests arrive and disconnects be seen before the next pass.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  /** Prefills waiting prompts into free slots and samples their first token. */
  private admit(): void {
    let budget = this.options.prefillTokensPerStep;
    let admitted = 0;
    while (this.waiting.length > 0 && this.active.length < this.maxBatch && (admitted === 0 || budget > 0)) {
      const slot = this.waiting.shift()!;
      admitted++;
      budget -= slot.job.promptIds.length;
      try {
        slot.seq = this.free.pop() ?? this.engine.newSequence();
        this.active.push(slot);
        this.accept(slot, slot.job.sample(this.engine.prefill(slot.seq, slot.job.promptIds)));
      } catch (error) {
        this.fail(slot, error);
      }
    }
  }

  /** One batched forward pass over every live sequence. */
  private step(): void {
    for (const slot of this.active.filter((s) => s.cancelled)) this.remove(slot);
    if (this.active.length === 0) return;
    const batch = this.active;
    let logits: Float32Array; // (B, V)
    try {
      logits = this.engine.decode(
        batch.map((s) => s.seq!),
        batch.map((s) => s.last),
      );
    } catch (error) {
      for (const slot of batch) this.fail(slot, error);
      return;
    }
    this.steps++;
    this.decodedTokens += batch.length;
    const V = logits.length / batch.length;
    batch.forEach((slot, b) => {
      if (slot.cancelled) return; // a callback of an earlier slot may cancel a later one
      try {
        this.accept(slot, slot.job.sample(logits.subarray(b * V, (b + 1) * V)));
      } catch (error) {
        this.fail(slot, error);
      }
    });
  }

  /** Hands a sampled token to the job and retires the slot when it is done. */
  private accept(slot: Slot, id: number): void {
    slot.generated++;
    slot.last = id;
    const stop = slot.job.onToken(id);
    if (slot.cancelled) return this.remove(slot);
    const position = slot.job.promptIds.length + slot.generated; // where `id` would be written
    if (stop) this.finish(slot, 'stop');
    else if (slot.generated >= slot.job.maxTokens || position >= this.engine.context) this.finish(slot, 'length');
  }

  private finish(slot: Slot, reason: ApiFinishReason): void {
    this.remove(slot);
    this.end(slot, { reason });
  }

  private fail(slot: Slot, error: unknown): void {
    const cancelled = slot.cancelled; // remove() marks it
    this.remove(slot);
    if (!cancelled) this.end(slot, { error });
  }

  /** A job's own handler failing must not stop the loop that serves all the others. */
  private end(slot: Slot, result: { reason: ApiFinishReason } | { error: unknown }): void {
    try {
      slot.job.onEnd(result);
    } catch (error) {
      console.error('tinytalk serve: a response handler failed:', error);
    }
  }

  private remove(slot: Slot): void {
    slot.cancelled = true;
    this.active = this.active.filter((s) => s !== slot);
    if (slot.seq) {
      this.engine.rewind(slot.seq, 0);
      this.free.push(slot.seq);
      slot.seq = undefined;
    }
  }
}

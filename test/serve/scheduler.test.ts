// The scheduler against a toy engine whose next token is (last + 1) mod V: batching, slots, limits.
import { describe, expect, it } from 'vitest';
import type { NeoConfig } from '../../src/core/neo/config.js';
import type { Sequence } from '../../src/core/neo/engine.js';
import { ApiError } from '../../src/node/server/errors.js';
import { type BatchEngine, type ApiFinishReason, Scheduler } from '../../src/node/server/scheduler.js';

const V = 50;

class ToyEngine implements BatchEngine {
  readonly config = { vocabSize: V } as NeoConfig;
  readonly maxBatch = 8;
  readonly batchSizes: number[] = [];
  created = 0;
  constructor(readonly context = 64) {}
  newSequence(): Sequence & { ids: number[] } {
    this.created++;
    const seq = { ids: [] as number[], get length() { return this.ids.length; } };
    return seq;
  }
  private logitsAfter(last: number): Float32Array {
    const row = new Float32Array(V);
    row[(last + 1) % V] = 1;
    return row;
  }
  prefill(seq: Sequence, ids: readonly number[]): Float32Array {
    (seq as Sequence & { ids: number[] }).ids.push(...ids);
    return this.logitsAfter(ids[ids.length - 1]!);
  }
  decode(seqs: readonly Sequence[], tokens: readonly number[]): Float32Array {
    this.batchSizes.push(seqs.length);
    const out = new Float32Array(seqs.length * V); // (B, V)
    seqs.forEach((s, b) => {
      expect(s.length + 1).toBeLessThanOrEqual(this.context);
      (s as Sequence & { ids: number[] }).ids.push(tokens[b]!);
      out.set(this.logitsAfter(tokens[b]!), b * V);
    });
    return out;
  }
  rewind(seq: Sequence, length: number): void {
    (seq as Sequence & { ids: number[] }).ids.length = length;
  }
}

const argmax = (l: Float32Array) => l.indexOf(Math.max(...l));

function run(s: Scheduler, promptIds: number[], maxTokens: number, stopAt = -1) {
  const ids: number[] = [];
  let cancel = () => {};
  const done = new Promise<ApiFinishReason>((resolve, reject) => {
    cancel = s.submit({
      promptIds,
      maxTokens,
      sample: argmax,
      onToken: (id) => (ids.push(id), id === stopAt),
      onEnd: (r) => ('error' in r ? reject(r.error) : resolve(r.reason)),
    }).cancel;
  });
  return { ids, done, cancel: () => cancel() };
}

describe('Scheduler', () => {
  it('decodes concurrent requests together, each getting its own continuation', async () => {
    const engine = new ToyEngine();
    const s = new Scheduler(engine, { maxBatch: 32, maxQueue: 10, prefillTokensPerStep: 1000 });
    const jobs = [0, 10, 20, 30].map((start) => ({ start, job: run(s, [start], 6) }));
    for (const { start, job } of jobs) {
      expect(await job.done).toBe('length');
      expect(job.ids).toEqual([1, 2, 3, 4, 5, 6].map((k) => (start + k) % V));
    }
    // 4 sequences × 5 fed tokens in 5 passes of 4, not 20 passes of 1.
    expect(engine.batchSizes).toEqual([4, 4, 4, 4, 4]);
  });

  it('stops on the job’s word, at max_tokens and at the end of the context', async () => {
    const engine = new ToyEngine(8);
    const s = new Scheduler(engine, { maxBatch: 4, maxQueue: 10, prefillTokensPerStep: 1000 });
    const stopped = run(s, [1], 20, 4);
    const ctx = run(s, [1, 2, 3, 4, 5], 20);
    expect(await stopped.done).toBe('stop');
    expect(stopped.ids).toEqual([2, 3, 4]);
    expect(await ctx.done).toBe('length');
    expect(ctx.ids).toEqual([6, 7, 8]); // prompt 5 + 3 = context 8
  });

  it('respects maxBatch, reuses freed sequences and frees a cancelled slot', async () => {
    const engine = new ToyEngine();
    const s = new Scheduler(engine, { maxBatch: 2, maxQueue: 10, prefillTokensPerStep: 1000 });
    const a = run(s, [0], 40);
    const b = run(s, [5], 3);
    const c = run(s, [9], 3);
    await b.done;
    a.cancel();
    await c.done;
    expect(Math.max(...engine.batchSizes)).toBe(2);
    expect(c.ids).toEqual([10, 11, 12]);
    expect(a.ids.length).toBeLessThan(40);
    expect(engine.created).toBe(2);
    expect(s.activeCount).toBe(0);
  });

  it('a failing pass ends its jobs with the error, and the next requests are served', async () => {
    const engine = new ToyEngine();
    const s = new Scheduler(engine, { maxBatch: 4, maxQueue: 10, prefillTokensPerStep: 1000 });
    const decode = engine.decode.bind(engine);
    engine.decode = () => {
      throw new Error('kernel fault');
    };
    const a = run(s, [0], 5);
    const b = run(s, [7], 5);
    await expect(a.done).rejects.toThrow('kernel fault');
    await expect(b.done).rejects.toThrow('kernel fault');
    engine.decode = decode;
    const c = run(s, [3], 3);
    expect(await c.done).toBe('length');
    expect(c.ids).toEqual([4, 5, 6]);
    expect(s.activeCount).toBe(0);
  });

  it('refuses with 429 when the queue is full', () => {
    const s = new Scheduler(new ToyEngine(), { maxBatch: 1, maxQueue: 2, prefillTokensPerStep: 1000 });
    const job = { promptIds: [0], maxTokens: 3, sample: argmax, onToken: () => false, onEnd: () => {} };
    s.submit(job);
    s.submit(job);
    let error: unknown;
    try {
      s.submit(job);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
  });
});

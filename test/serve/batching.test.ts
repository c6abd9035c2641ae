// The server's own engine under the scheduler, with requests joining a running batch at different
// steps, one cancelled mid-way, sequences freed and reused: every sequence must still decode
// exactly PyTorch's greedy tokens (a batch that mixed positions or KV caches between sequences, or
// reused a cache without rewinding it, would not).
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/node/load.js';
import { servedModel } from '../../src/node/server/model.js';
import { type ApiFinishReason, Scheduler } from '../../src/node/server/scheduler.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { golden, type GoldenEntry } from './helpers.js';

/** Greedy as the goldens define it: the highest logit, the lowest id on ties. */
function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

const expectedReason = (e: GoldenEntry): ApiFinishReason => (e.finish_reason === 'eos' ? 'stop' : 'length');

describe('batched decoding in the server', () => {
  it('staggered joins, a cancellation and reused sequences leave every stream equal to its golden', async () => {
    const model = await loadModel(HF_STANDIN());
    const served = await servedModel(model, { id: 'tinytalk', maxBatch: 4 });
    // 4 slots for 13 requests: most wait, join a running batch and get a sequence another finished.
    const scheduler = new Scheduler(served.engine, { maxBatch: 4, maxQueue: 64, prefillTokensPerStep: 16 });
    const eos = model.config.eosId;
    const entries = golden();
    const results = new Map<GoldenEntry, { ids: number[]; reason?: ApiFinishReason }>();

    const submit = (e: GoldenEntry) =>
      new Promise<void>((resolve, reject) => {
        const got = { ids: [] as number[], reason: undefined as ApiFinishReason | undefined };
        results.set(e, got);
        scheduler.submit({
          promptIds: e.prompt_ids,
          maxTokens: 40,
          sample: argmax,
          onToken: (id) => id === eos || (got.ids.push(id), false),
          onEnd: (r) => ('error' in r ? reject(r.error) : ((got.reason = r.reason), resolve())),
        });
      });

    // A long sampled-looking request that is cancelled after 7 tokens, while others are mid-stream.
    const cancelled: number[] = [];
    const victim = scheduler.submit({
      promptIds: entries[0]!.prompt_ids,
      maxTokens: 200,
      sample: (logits) => argmax(logits.map((x, i) => (i % 7 === 3 ? x + 5 : x))),
      onToken: (id) => {
        cancelled.push(id);
        if (cancelled.length === 7) queueMicrotask(() => victim.cancel());
        return false;
      },
      onEnd: () => {
        throw new Error('a cancelled job must not end');
      },
    });
    // The others arrive one step apart, in two waves; the second reuses freed sequences.
    const done: Promise<void>[] = [];
    const steps = () => new Promise<void>((r) => setImmediate(r));
    for (const e of entries.slice(0, 6)) {
      done.push(submit(e));
      await steps();
    }
    await Promise.all(done);
    for (const e of entries.slice(6)) {
      done.push(submit(e));
      await steps();
    }
    await Promise.all(done);

    expect(cancelled.length).toBeGreaterThanOrEqual(7);
    expect(cancelled.length).toBeLessThan(12);
    expect(scheduler.activeCount).toBe(0);
    expect(scheduler.decodedTokens / scheduler.steps).toBeGreaterThan(1.5); // passes carried several sequences
    for (const e of entries) {
      const got = results.get(e)!;
      expect({ kind: e.kind, ids: got.ids, reason: got.reason }).toEqual({ kind: e.kind, ids: e.greedy_ids, reason: expectedReason(e) });
    }
  });
});

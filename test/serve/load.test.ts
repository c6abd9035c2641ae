// Load on loopback: 32 concurrent streaming clients (in a worker thread, as another process would
// be), each stream checked token for token against the PyTorch greedy golden of its prompt (so
// batching neither loses nor mixes streams); aggregate tokens/s and time to first token are
// printed for 1, 16 and 32 clients.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/node/server/server.js';
import { golden, type GoldenEntry, serveShared } from './helpers.js';

let server: RunningServer;
const entries = golden().filter((e) => e.kind !== 'long');

beforeAll(async () => {
  server = await serveShared(undefined, { maxBatch: 32 });
  await load(1, 0, 40, entries.slice(0, 1)); // warm-up: kernels compiled, caches allocated
});
afterAll(() => server?.close());

interface StreamResult {
  prompt: string;
  text: string;
  ttftMs: number;
  tokens: number;
  finish: string | null;
  done: boolean;
  faults: string[];
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** `clients` clients stream completions of the prompts for `seconds`; every stream is checked against its golden. */
async function load(clients: number, seconds: number, maxTokens: number, prompts: GoldenEntry[]) {
  const { results, seconds: wall } = await new Promise<{ results: StreamResult[]; seconds: number }>((resolve, reject) => {
    const worker = new Worker(new URL('./load-client.mjs', import.meta.url), {
      workerData: { url: server.url, clients, seconds, maxTokens, prompts: prompts.map((e) => e.prompt) },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  for (const r of results) {
    const e = prompts.find((x) => x.prompt === r.prompt)!;
    expect(r.faults).toEqual([]);
    expect(r.done).toBe(true);
    // what one client alone gets: the golden (40 tokens long at most), or a longer text starting with it
    if (e.finish_reason === 'eos' || maxTokens === e.greedy_ids.length) expect(r.text).toBe(e.text);
    else expect(r.text.startsWith(e.text)).toBe(true);
    expect(r.finish).toBe(e.finish_reason === 'eos' ? 'stop' : 'length');
  }
  const tokens = results.reduce((n, r) => n + r.tokens, 0);
  const ttft = results.map((r) => r.ttftMs);
  return { requests: results.length, tokens, tokensPerSecond: tokens / wall, p50: percentile(ttft, 50), p99: percentile(ttft, 99) };
}

const report = (r: Awaited<ReturnType<typeof load>>) =>
  `${r.requests} streams, ${r.tokens} tokens, ${r.tokensPerSecond.toFixed(0)} tokens/s, time to first token p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`;

describe('load', () => {
  it('32 concurrent streaming clients: no errors, every stream equals its prompt’s golden', async () => {
    const r = await load(32, 5, 40, entries);
    console.log(`serve load, 32 clients, chat/story/raw prompts, ≤ 40 tokens: ${report(r)}`);
    expect(r.requests).toBeGreaterThanOrEqual(32);
    expect(server.scheduler.activeCount).toBe(0);
  });

  it('aggregate tokens/s with 1, 16 and 32 clients: one forward pass per step serves them all', async () => {
    // Stories run long, so decoding (what batching shares) dominates over prompts and HTTP.
    const stories = entries.filter((e) => e.kind === 'story' || e.kind === 'raw');
    const one = await load(1, 3, 100, stories);
    const before = { steps: server.scheduler.steps, decoded: server.scheduler.decodedTokens };
    const sixteen = await load(16, 3, 100, stories);
    const perPass = (server.scheduler.decodedTokens - before.decoded) / (server.scheduler.steps - before.steps);
    const thirtyTwo = await load(32, 3, 100, stories);
    console.log(
      `serve throughput, 100-token stories:\n  1 client: ${report(one)}\n  16 clients: ${report(sixteen)} ` +
        `(×${(sixteen.tokensPerSecond / one.tokensPerSecond).toFixed(1)}, ${perPass.toFixed(1)} sequences per forward pass)\n` +
        `  32 clients: ${report(thirtyTwo)} (×${(thirtyTwo.tokensPerSecond / one.tokensPerSecond).toFixed(1)})`,
    );
    // Not queued one by one: passes carry most of the 16 streams at once (a queue would carry 1).
    // What that gains is a timing, printed above and measured in docs/kernels.md, not asserted:
    // on a shared 2-core machine any speed assertion would flake.
    expect(perPass).toBeGreaterThan(10);
  });
});

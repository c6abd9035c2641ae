// Load on loopback: 32 concurrent streaming clients, each stream checked token for token against the
// PyTorch greedy golden of its prompt (so batching neither loses nor mixes streams); aggregate
// tokens/s and time to first token are printed; 16 clients must get ≥ 4× one client's tokens/s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/node/server/server.js';
import { golden, serveShared } from './helpers.js';

let server: RunningServer;
const entries = golden().filter((e) => e.kind !== 'long');

beforeAll(async () => {
  server = await serveShared(undefined, { maxBatch: 32 });
  await streamCompletion('Once upon a time', 4); // warm-up: kernels compiled, weights placed
});
afterAll(() => server?.close());

interface StreamResult {
  text: string;
  ttftMs: number;
  tokens: number;
  finish: string | null;
}

/** One streaming /v1/completions request, read chunk by chunk as it arrives. */
async function streamCompletion(prompt: string, maxTokens: number): Promise<StreamResult> {
  const start = performance.now();
  const r = await fetch(`${server.url}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'tinytalk', prompt, temperature: 0, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
  });
  expect(r.status).toBe(200);
  const reader = r.body!.getReader();
  const utf8 = new TextDecoder();
  let buffer = '';
  const out: StreamResult = { text: '', ttftMs: NaN, tokens: 0, finish: null };
  let done = false;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buffer += utf8.decode(value, { stream: true });
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      expect(line.startsWith('data: ')).toBe(true);
      const data = line.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      const chunk = JSON.parse(data);
      expect(chunk.error).toBeUndefined();
      if (Number.isNaN(out.ttftMs)) out.ttftMs = performance.now() - start;
      if (chunk.usage) out.tokens = chunk.usage.completion_tokens;
      const choice = chunk.choices[0];
      if (choice) {
        out.text += choice.text;
        if (choice.finish_reason) out.finish = choice.finish_reason;
      }
    }
  }
  expect(done).toBe(true);
  return out;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Clients keep sending requests (prompt i cycles over the goldens) until the time is up; every stream is checked. */
async function load(clients: number, seconds: number, maxTokens: number, prompts = entries) {
  const results: StreamResult[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let k = 0; performance.now() < deadline || k === 0; k++) {
        const e = prompts[(c + k * clients) % prompts.length]!;
        const r = await streamCompletion(e.prompt, maxTokens);
        // what one client alone gets: the golden (40 tokens long at most), or a longer text starting with it
        if (e.finish_reason === 'eos' || maxTokens === e.greedy_ids.length) expect(r.text).toBe(e.text);
        else expect(r.text.startsWith(e.text)).toBe(true);
        results.push(r);
      }
    }),
  );
  const seconds_ = (performance.now() - start) / 1000;
  const tokens = results.reduce((n, r) => n + r.tokens, 0);
  const ttft = results.map((r) => r.ttftMs);
  return { requests: results.length, tokens, tokensPerSecond: tokens / seconds_, p50: percentile(ttft, 50), p99: percentile(ttft, 99) };
}

describe('load', () => {
  it('32 concurrent streaming clients: no errors, every stream equals its prompt’s golden', async () => {
    const r = await load(32, 5, 40);
    console.log(
      `serve load, 32 clients: ${r.requests} streams, ${r.tokens} tokens, ${r.tokensPerSecond.toFixed(0)} tokens/s, ` +
        `time to first token p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`,
    );
    expect(r.requests).toBeGreaterThanOrEqual(32);
    expect(server.scheduler.activeCount).toBe(0);
  });

  it('16 clients get at least 4× the tokens/s of one client (one forward pass per step for all)', async () => {
    // Stories run long, so decoding (what batching speeds up) dominates over prompts and HTTP.
    const stories = entries.filter((e) => e.kind === 'story' || e.kind === 'raw');
    const one = await load(1, 3, 100, stories);
    const sixteen = await load(16, 3, 100, stories);
    console.log(`serve throughput: 1 client ${one.tokensPerSecond.toFixed(0)} tokens/s, 16 clients ${sixteen.tokensPerSecond.toFixed(0)} tokens/s (×${(sixteen.tokensPerSecond / one.tokensPerSecond).toFixed(1)})`);
    expect(sixteen.tokensPerSecond).toBeGreaterThanOrEqual(4 * one.tokensPerSecond);
  });
});

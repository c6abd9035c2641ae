// Bad requests get OpenAI-style errors with the right status, and the server keeps serving.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/node/server/server.js';
import { serveShared } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await serveShared(undefined, { maxBodyBytes: 64 * 1024, maxTokensLimit: 100, maxQueue: 4, maxBatch: 2 });
});
afterAll(() => server?.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
const chat = (fields: object) => post('/v1/chat/completions', JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }], ...fields }));

async function expectError(r: Response, status: number, param: string | null, code?: string) {
  expect(r.status).toBe(status);
  const body = (await r.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.message.length).toBeGreaterThan(10);
  expect(body.error.param).toBe(param);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

async function stillServes() {
  const r = await chat({ max_tokens: 3, temperature: 0 });
  expect(r.status).toBe(200);
  expect(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBeGreaterThan(0);
}

describe('bad requests', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    await expectError(await post('/v1/chat/completions', '{"messages": [}'), 400, null, 'invalid_json');
    await expectError(await post('/v1/completions', '[1, 2]'), 400, null, 'invalid_body');
    await stillServes();
  });

  it('unknown fields are accepted and ignored, as OpenAI does', async () => {
    const r = await chat({ max_tokens: 2, temperature: 0, frobnicate: { deep: [1] }, user: 'someone' });
    expect(r.status).toBe(200);
  });

  it('a huge body → 413, before it is all read', async () => {
    const big = JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'a'.repeat(200_000) }] });
    const error = await expectError(await post('/v1/chat/completions', big), 413, null, 'request_too_large');
    expect(error.message).toContain(String(64 * 1024));
    await stillServes();
  });

  it('bad field values → 400 naming the field', async () => {
    await expectError(await chat({ max_tokens: -5 }), 400, 'max_tokens');
    await expectError(await chat({ max_tokens: 0 }), 400, 'max_tokens');
    await expectError(await chat({ max_tokens: 2.5 }), 400, 'max_tokens');
    await expectError(await chat({ max_tokens: 101 }), 400, 'max_tokens'); // over the server's limit
    await expectError(await chat({ temperature: 3 }), 400, 'temperature');
    await expectError(await chat({ top_p: 'high' }), 400, 'top_p');
    await expectError(await chat({ n: 2 }), 400, 'n');
    await expectError(await chat({ logprobs: true }), 400, 'logprobs');
    await expectError(await post('/v1/completions', JSON.stringify({ prompt: 'hi', logprobs: 5 })), 400, 'logprobs');
    await expectError(await chat({ stop: [1] }), 400, 'stop');
    await expectError(await chat({ stream: 'yes' }), 400, 'stream');
    await expectError(await chat({ messages: [] }), 400, 'messages');
    await expectError(await chat({ messages: [{ role: 'tool', content: 'x' }] }), 400, 'messages[0].role');
    await expectError(await chat({ messages: [{ role: 'user', content: 5 }] }), 400, 'messages[0].content');
    await expectError(await post('/v1/completions', JSON.stringify({ prompt: 7 })), 400, 'prompt');
    await expectError(await post('/v1/completions', JSON.stringify({ prompt: [999_999] })), 400, 'prompt');
    await stillServes();
  });

  it('a prompt longer than the context → 400 context_length_exceeded', async () => {
    const r = await post('/v1/completions', JSON.stringify({ prompt: 'hello '.repeat(400) }));
    await expectError(r, 400, 'prompt', 'context_length_exceeded');
    const long = await chat({ messages: [{ role: 'user', content: 'hello '.repeat(400) }] });
    await expectError(long, 400, 'messages', 'context_length_exceeded');
  });

  it('unknown routes → 404, wrong methods → 405', async () => {
    await expectError(await fetch(`${server.url}/v1/nothing`), 404, null, 'not_found');
    await expectError(await fetch(`${server.url}/v1/chat/completions`), 405, null);
  });

  it('CORS: preflight and headers for browser pages on other origins', async () => {
    const pre = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const r = await chat({ max_tokens: 1 });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('a client that disconnects mid-stream frees its slot at once', async () => {
    const before = server.scheduler.decodedTokens;
    const req = httpRequest(`${server.url}/v1/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    req.end(JSON.stringify({ prompt: 'Once upon a time', max_tokens: 100, stream: true, temperature: 1 }));
    await new Promise<void>((resolve) =>
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy(); // hang up after the first chunk
          resolve();
        });
      }),
    );
    for (let i = 0; i < 100 && server.scheduler.activeCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.scheduler.activeCount).toBe(0);
    expect(server.scheduler.decodedTokens - before).toBeLessThan(60); // far from the 100 asked for
    await stillServes();
  });

  it('a full queue → 429 rate_limit_error; the others are answered', async () => {
    // 2 slots + 4 waiting; 12 at once: some must be refused, none may fail otherwise.
    const results = await Promise.all(Array.from({ length: 12 }, () => chat({ max_tokens: 20, temperature: 0 })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = results.find((r) => r.status === 429)!;
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    await stillServes();
  });

  it('a full queue refuses streamed requests with a 429 status too, not an empty 200 stream', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => chat({ max_tokens: 20, temperature: 0, stream: true })));
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    }
    for (const r of results.filter((x) => x.status === 200)) expect((await r.text()).endsWith('data: [DONE]\n\n')).toBe(true);
    expect(refused.length + results.filter((r) => r.status === 200).length).toBe(12);
  });
});

describe('API key', () => {
  it('is required on /v1 when set (401), not on the page or /health', async () => {
    const keyed = await serveShared(undefined, { apiKey: 'sekret' });
    try {
      await expectError(await fetch(`${keyed.url}/v1/models`), 401, null, 'invalid_api_key');
      expect((await fetch(`${keyed.url}/v1/models`, { headers: { Authorization: 'Bearer sekret' } })).status).toBe(200);
      expect((await fetch(`${keyed.url}/health`)).status).toBe(200);
    } finally {
      await keyed.close();
    }
  });
});

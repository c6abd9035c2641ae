// The load test's clients, run in a worker thread so that their HTTP and SSE parsing does not share
// the server's event loop (time to first token is then what a client in another process sees).
// workerData: { url, clients, seconds, maxTokens, prompts: string[] }. Each client keeps sending
// streaming /v1/completions requests (prompt i cycles) until the time is up; posts every stream.
import { parentPort, workerData } from 'node:worker_threads';

const { url, clients, seconds, maxTokens, prompts } = workerData;

/** One streaming request, read chunk by chunk as it arrives; protocol faults are collected, not thrown. */
async function stream(prompt) {
  const start = performance.now();
  const out = { prompt, text: '', ttftMs: NaN, tokens: 0, finish: null, done: false, faults: [] };
  const r = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'tinytalk', prompt, temperature: 0, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
  });
  if (r.status !== 200) out.faults.push(`status ${r.status}: ${await r.text()}`);
  const reader = r.body.getReader();
  const utf8 = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += utf8.decode(value, { stream: true });
    let i;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (!event.startsWith('data: ')) out.faults.push(`not a data event: ${event}`);
      const data = event.slice(6);
      if (data === '[DONE]') {
        out.done = true;
        continue;
      }
      if (out.done) out.faults.push('data after [DONE]');
      const chunk = JSON.parse(data);
      if (chunk.error) out.faults.push(`error event: ${chunk.error.message}`);
      if (Number.isNaN(out.ttftMs)) out.ttftMs = performance.now() - start;
      if (chunk.usage) out.tokens = chunk.usage.completion_tokens;
      const choice = chunk.choices?.[0];
      if (choice) {
        out.text += choice.text;
        if (choice.finish_reason) out.finish = choice.finish_reason;
      }
    }
  }
  if (buffer !== '') out.faults.push(`left over: ${buffer}`);
  return out;
}

const results = [];
const start = performance.now();
const deadline = start + seconds * 1000;
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; performance.now() < deadline || k === 0; k++) results.push(await stream(prompts[(c + k * clients) % prompts.length]));
  }),
);
parentPort.postMessage({ results, seconds: (performance.now() - start) / 1000 });

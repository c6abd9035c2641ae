// The Web Worker that runs TinyTalk in the browser: the same core code as Node (loaders, engine,
// sampler, streaming generation) on files downloaded from the server or picked by the user.
import { buildPrompt, promptBudget } from '../core/chat/prompt.js';
import { ReplyFilter } from '../core/chat/reply-filter.js';
import { generateStream } from '../core/generate/generate.js';
import { placeWeights } from '../core/kernels/place.js';
import type { Model } from '../core/neo/model.js';
import { modelFromNamedFiles } from './model-files.js';
import type { FromWorker, ReplyRequest, ToWorker } from './protocol.js';

let model: Model | undefined;
const running = new Map<number, AbortController>();

function send(message: FromWorker): void {
  (self as unknown as Worker).postMessage(message);
}

async function reply(id: number, request: ReplyRequest): Promise<void> {
  if (!model) throw new Error('no model loaded');
  const s = request.settings;
  const tokenizer = model.tokenizer;
  const prompt = buildPrompt(request.mode, request.history, request.text, {
    encode: (t) => tokenizer.encode(t),
    eosId: model.config.eosId,
    budget: promptBudget(model.config.maxPositions, s.maxTokens),
    firmware: false,
  });
  if (prompt.tooLong) throw new Error(`the message is ${prompt.tooLong.tokens} tokens; ${prompt.tooLong.budget} fit beside a ${s.maxTokens}-token reply`);
  // Chat replies also end where the model starts a new `User` line.
  const filter = request.mode === 'chat' ? new ReplyFilter(false) : undefined;
  const abort = new AbortController();
  running.set(id, abort);
  const started = performance.now();
  let tokens = 0;
  let reason = 'stopped';
  try {
    const stream = generateStream(model, prompt.ids, {
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      minP: s.minP,
      maxTokens: s.maxTokens,
      seed: s.seed,
      signal: abort.signal,
    });
    for (;;) {
      const r = await stream.next();
      if (r.done) {
        reason = r.value.finishReason;
        break;
      }
      if (r.value.id >= 0) tokens++;
      const shown = filter ? filter.push(r.value.text) : { text: r.value.text, stop: false };
      if (shown.text) send({ type: 'text', id, text: shown.text });
      if (shown.stop) {
        await stream.return(undefined as never);
        reason = 'user';
        break;
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    running.delete(id);
  }
  send({ type: 'done', id, tokens, ms: performance.now() - started, reason });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === 'load') {
    try {
      const loaded = modelFromNamedFiles(m.files);
      // Weights placed once in the kernel memory as float32 (as the server does): the kernels
      // then read them in place rather than copying every matrix into it on every pass.
      model = { ...loaded, weights: placeWeights(loaded.weights, { float32: true }) };
      const { config, source } = model;
      send({ type: 'loaded', description: `${source.path} (${source.format}, ${config.numLayers} layers, ${config.vocabSize} tokens)` });
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  } else if (m.type === 'reply') {
    reply(m.id, m.request).catch((e: Error) => send({ type: 'error', id: m.id, message: e.message }));
  } else running.get(m.id)?.abort();
};

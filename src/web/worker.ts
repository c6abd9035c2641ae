// The Web Worker that runs TinyTalk in the browser: the same core code as Node (loaders, engine,
// sampler, streaming generation) on files downloaded from the server, fetched from URLs or picked
// by the user, or on a training checkpoint's parameters. "Like the device" replies come from the
// model written as firmware blobs and read back, run by the firmware emulation (core ChatSession
// in firmware mode), so they are what the blobs the page downloads give on the Cardputer.
import { ChatSession } from '../core/chat/session.js';
import { buildPrompt, promptBudget } from '../core/chat/prompt.js';
import { ReplyFilter } from '../core/chat/reply-filter.js';
import { FIRMWARE_NAMES, firmwareFiles } from '../core/export/firmware.js';
import type { CrdpVersion } from '../core/formats/crdp.js';
import { generateStream } from '../core/generate/generate.js';
import { modelFromCrdp } from '../core/load/model.js';
import type { Model } from '../core/neo/model.js';
import { paramLayout, weightsFromParams } from '../core/train/params.js';
import { modelFromNamedFiles } from './model-files.js';
import type { FromWorker, ReplyRequest, ToWorker } from './protocol.js';

/** The model as loaded (or as a checkpoint made it), and its firmware forms. */
let current: { model: Model; firmware: Map<CrdpVersion, Model> } | undefined;
let loaded: Model | undefined;
const running = new Map<number, AbortController>();

function send(message: FromWorker): void {
  (self as unknown as Worker).postMessage(message);
}

function use(model: Model): void {
  // the engine places the weights in the kernel memory once (per weights object), as the server's does
  current = { model, firmware: new Map() };
}

/** The model as the device would hold it: written as firmware blobs of `version`, read back. */
function firmwareModel(version: CrdpVersion): Model {
  const c = current!;
  let fw = c.firmware.get(version);
  if (!fw) {
    const { files } = firmwareFiles(c.model, version, false);
    const names = FIRMWARE_NAMES[version];
    fw = modelFromCrdp(files.get(names.model) as Uint8Array, files.get(names.tokenizer) as Uint8Array, names.model, names.tokenizer);
    c.firmware.set(version, fw);
  }
  return fw;
}

/** Streams pieces of the reply to `onText`, counting its tokens in `count` as they come; returns why it ended. */
type Run = (onText: (text: string) => void, signal: AbortSignal, count: { tokens: number }) => Promise<string>;

/** Reference mode: every sampling setting of the page, the model's whole context. */
function referenceRun(request: ReplyRequest): Run {
  const model = current!.model;
  const s = request.settings;
  const tokenizer = model.tokenizer;
  const prompt = buildPrompt(request.mode, request.history, request.text, {
    encode: (t) => tokenizer.encode(t),
    eosId: model.config.eosId,
    budget: promptBudget(model.config.maxPositions, s.maxTokens),
    firmware: false,
  });
  if (prompt.tooLong) throw new Error(`the message is ${prompt.tooLong.tokens} tokens; ${prompt.tooLong.budget} fit beside a ${s.maxTokens}-token reply`);
  return async (onText, signal, count) => {
    // Chat replies also end where the model starts a new `User` line.
    const filter = request.mode === 'chat' ? new ReplyFilter(false) : undefined;
    const stream = generateStream(model, prompt.ids, {
      temperature: s.temperature, topP: s.topP, topK: s.topK, minP: s.minP, maxTokens: s.maxTokens, seed: s.seed, signal,
    });
    for (;;) {
      const r = await stream.next();
      if (r.done) return r.value.finishReason;
      if (r.value.id >= 0) count.tokens++;
      const shown = filter ? filter.push(r.value.text) : { text: r.value.text, stop: false };
      if (shown.text) onText(shown.text);
      if (shown.stop) {
        await stream.return(undefined as never);
        return 'user';
      }
    }
  };
}

/** Device mode: the firmware's window, history, reply limit and sampler (v2: temperature and seed; v3: also its top-p). */
function deviceRun(request: ReplyRequest, version: CrdpVersion): Run {
  const session = new ChatSession(firmwareModel(version), {
    firmware: true, mode: request.mode, temperature: request.settings.temperature, seed: request.settings.seed,
  });
  for (const h of request.history) session.history.push(session.input(h.user), h.bot);
  return async (onText, signal, count) => {
    // the session ends a stopped reply itself ('interrupted'), with the tokens it made
    const stream = session.reply(request.text, signal);
    for (;;) {
      const r = await stream.next();
      if (r.done) {
        count.tokens = r.value.ids.length;
        return r.value.finishReason;
      }
      onText(r.value);
    }
  };
}

async function reply(id: number, request: ReplyRequest): Promise<void> {
  if (!current) throw new Error('no model loaded');
  const run = request.device ? deviceRun(request, request.device.version) : referenceRun(request);
  const abort = new AbortController();
  running.set(id, abort);
  const started = performance.now();
  const count = { tokens: 0 }; // a stopped reply still counts the tokens it showed
  let reason = 'stopped';
  try {
    reason = await run((text) => send({ type: 'text', id, text }), abort.signal, count);
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    running.delete(id);
  }
  send({ type: 'done', id, tokens: count.tokens, ms: performance.now() - started, reason: abort.signal.aborted ? 'stopped' : reason });
}

function describe(model: Model, label: string): string {
  const { config, source } = model;
  return `${label} (${source.format}, ${config.numLayers} layers, ${config.vocabSize} tokens)`;
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === 'load' || m.type === 'weights') {
    try {
      if (m.type === 'load') {
        loaded = modelFromNamedFiles(m.files);
        use(loaded);
        send({ type: 'loaded', description: describe(loaded, loaded.source.path) });
      } else {
        if (!loaded) throw new Error('no model loaded to take the checkpoint');
        use({ ...loaded, weights: weightsFromParams(paramLayout(loaded.config), m.params) });
        send({ type: 'loaded', description: describe(loaded, m.label) });
      }
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
    }
  } else if (m.type === 'reply') {
    reply(m.id, m.request).catch((e: Error) => send({ type: 'error', id: m.id, message: e.message }));
  } else running.get(m.id)?.abort();
};

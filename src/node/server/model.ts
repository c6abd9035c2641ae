// Adapts a loaded Model for serving: the float32 engine with room for a batch, the chat prompt
// builder, a sampler per request, streamed text with stop strings, the files the page may fetch.
import { ReplyFilter } from '../../core/chat/reply-filter.js';
import { Sampler } from '../../core/sample/sampler.js';
import { StopText } from '../../core/generate/stop.js';
import { randomSeed } from '../../core/sample/rng.js';
import type { Model } from '../../core/neo/model.js';
import { Transformer } from '../../core/model/transformer.js';
import { modelFiles } from './model-files.js';
import type { ServedModel } from './served-model.js';
import { chatPromptIds } from './chat-prompt.js';

export interface ServedModelOptions {
  /** Name shown by /v1/models. */
  id: string;
  /** --tokenizer, when the model was loaded with one (offered to the page with the model). */
  tokenizer?: string;
  /** Sequences one decode pass takes. */
  maxBatch: number;
}

export async function servedModel(model: Model, options: ServedModelOptions): Promise<ServedModel> {
  const { config, tokenizer, generation } = model;
  return {
    id: options.id,
    // the engine places the weights in the kernel memory once: its products read their float32
    // panels in place instead of copying every matrix on every pass
    engine: new Transformer(model, { maxBatch: options.maxBatch }),
    eosId: config.eosId,
    defaults: generation,
    chatPrompt: (messages, maxPromptTokens) => chatPromptIds(model, messages, maxPromptTokens),
    encode: (text) => tokenizer.encode(text),
    sampler(request, promptIds) {
      const sampler = new Sampler(
        {
          temperature: request.temperature ?? generation.temperature,
          topK: request.topK ?? generation.topK,
          topP: request.topP ?? generation.topP,
          minP: request.minP ?? 0,
          repetitionPenalty: request.repetitionPenalty ?? generation.repetitionPenalty,
          seed: request.seed ?? randomSeed(),
        },
        config.vocabSize,
      );
      sampler.observe(promptIds);
      return (logits) => {
        const id = sampler.sample(logits);
        sampler.observe([id]);
        return id;
      };
    },
    replyText(stop, chat) {
      const decoder = tokenizer.decoder();
      const stopText = new StopText(stop);
      // Chat replies also end where the model starts a new `User` line.
      const filter = chat ? new ReplyFilter(false) : undefined;
      const text = (piece: string) => {
        const shown = filter ? filter.push(piece) : { text: piece, stop: false };
        const out = stopText.push(shown.text);
        return { text: out.text, stopped: out.stopped || shown.stop };
      };
      return {
        push: (id) => text(decoder.push(id)),
        flush: () => text(decoder.flush()).text + stopText.flush(),
      };
    },
    files: await modelFiles(model, options.tokenizer),
  };
}

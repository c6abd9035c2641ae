// What the HTTP layer needs from a loaded model: the batched engine, prompts, samplers, streamed text.
import type { GenerationDefaults } from '../../core/neo/config.js';
import type { ChatMessage, SamplingRequest } from './request.js';
import type { BatchEngine } from './scheduler.js';

/** Turns generated ids into text deltas and applies the request's stop strings. */
export interface ReplyText {
  /** Text this token adds (held back while it may be the start of a stop string); stopped: a stop string matched. */
  push(id: number): { text: string; stopped: boolean };
  /** Whatever text is still held back, at the end of the reply. */
  flush(): string;
}

/** A file of the model that the page may download to run the model in the browser. */
export interface ModelFile {
  name: string;
  path: string;
  size: number;
}

export interface ServedModel {
  /** The id shown by /v1/models and echoed in responses. */
  id: string;
  engine: BatchEngine;
  eosId: number;
  defaults: GenerationDefaults;
  /** Prompt ids of a conversation in TinyTalk's `User: …\nBot:` format, fitted to maxPromptTokens. */
  chatPrompt(messages: ChatMessage[], maxPromptTokens: number): number[];
  encode(text: string): number[];
  /** A sampler with its own random state (seeded when the request gives a seed); it sees the prompt for the repetition penalty. */
  sampler(request: SamplingRequest, promptIds: readonly number[]): (logits: Float32Array) => number;
  /** chat: the reply also ends where the model starts a new `User` line (the chat's ReplyFilter rule). */
  replyText(stop: readonly string[], chat: boolean): ReplyText;
  files: ModelFile[];
}

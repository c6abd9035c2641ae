// One conversation with a model: settings, memory, prompt building and a streamed reply that
// ends at EOS, the reply limit, the context end or a new `User` line. Platform-neutral: the
// terminal chat drives it, and so can a page or a server.
import { UsageError } from '../errors.js';
import { FIRMWARE_CONTEXT, FIRMWARE_HIST_MAX, FIRMWARE_MAX_REPLY, FIRMWARE_TEMPERATURE, FIRMWARE_V3_TEMPERATURE, FIRMWARE_V3_TOP_P } from '../firmware/settings.js';
import { firmwareVersionOf, type FirmwareVersion } from '../firmware/select.js';
import { firmwareV3PromptBudget, firmwareV3Window } from '../firmware/v3/window.js';
import { engineFor, generateStream, type FinishReason, type GeneratePiece, type GenerateResult } from '../generate/generate.js';
import type { Engine } from '../neo/engine.js';
import type { Model } from '../neo/model.js';
import { checkTemperature } from '../sample/sampler.js';
import { firmwareInput } from './firmware-input.js';
import { ChatHistory } from './history.js';
import { buildPrompt, promptBudget, type BuiltPrompt, type ChatMode } from './prompt.js';
import { ReplyFilter } from './reply-filter.js';

export interface ChatSettings {
  mode: ChatMode;
  /** 0 = greedy. Defaults: 0.8 in firmware mode (the device's), else the model's. */
  temperature: number;
  /** Reference mode only (the device has no top-k). Default: the model's. */
  topK?: number;
  /** Nucleus sampling: reference mode, or the v3 firmware's (default 0.9 there; the v2 firmware has none). */
  topP?: number;
  /**
   * New tokens per reply at most; −1 = until EOS or the context end. Default: the mode's
   * (defaultMaxReply) until one is chosen. v2 firmware only, −2 = the device's "unsafe" mode: at
   * the window's end generation wraps back to just after the prompt and goes on until EOS or a new
   * User line; the history is then cleared. (The v3 firmware slides its window instead: −1 goes on
   * until EOS or the position table's end.)
   */
  maxReply: number;
  /** Every reply starts the random stream from this seed (reproducible replies); default random. */
  seed?: number;
  /** Behave like the device: its numerics, sampler, device encoding, window, history rules. */
  firmware: boolean;
  /** Firmware mode: which firmware (default: the blob's version; 2 for other Q4_0 models). */
  firmwareVersion?: FirmwareVersion;
  /** Firmware v3: fused multiply-adds, as the ESP32 build computes. */
  fma?: boolean;
  /** Positions for prompt + reply (firmware: its KV window, v2 80, v3 80 or 72 above dim 128; reference: the model's). */
  context: number;
}

export type ReplyFinish = FinishReason | 'user' | 'interrupted' | 'empty';

/**
 * A mode's reply limit until the user sets one: the device's 44 tokens, except for stories
 * outside firmware mode, which run until the story ends or the context is full (44 tokens stop
 * a story mid-sentence; the device, whose window is 80 positions, keeps its 44).
 */
export function defaultMaxReply(mode: ChatMode, firmware: boolean): number {
  return mode === 'story' && !firmware ? -1 : FIRMWARE_MAX_REPLY;
}

export interface ReplyResult {
  /** The message as sent: in firmware mode, as the device's input line takes it (firmwareInput). */
  input: string;
  /** The reply as shown and remembered. */
  text: string;
  promptIds: number[];
  /** Generated tokens, without the EOS that ended them. */
  ids: number[];
  /** 'user': the model began a new User line; 'empty': raw prompt over budget, nothing generated. */
  finishReason: ReplyFinish;
  prompt: BuiltPrompt;
  /** Unsafe mode went round the window: the exchange was remembered, then the history cleared. */
  wrapped: boolean;
  /** v3 firmware: times the window slid during the reply (its oldest context after the sink dropped). */
  slides: number;
  ms: number;
  tokensPerSecond: number;
}


export class ChatSession {
  readonly settings: ChatSettings;
  readonly history: ChatHistory;
  private readonly engine: Engine;
  /** The reply limit was chosen (an option or /max), so a change of mode keeps it. */
  private maxReplyChosen = false;

  constructor(
    readonly model: Model,
    options: Partial<ChatSettings> = {},
  ) {
    const { firmware = false, firmwareVersion, fma, ...changes } = options;
    if (!firmware && (firmwareVersion !== undefined || fma)) throw new UsageError('the firmware version and fma choose firmware arithmetic: add firmware mode');
    const version = firmware ? firmwareVersionOf(model, firmwareVersion) : undefined;
    const window = version === 3 ? firmwareV3Window(model.config) : FIRMWARE_CONTEXT;
    const context = options.context ?? (firmware ? window : model.config.maxPositions);
    if (!Number.isInteger(context) || context < 9) throw new UsageError(`context must be an integer ≥ 9, got ${context}`);
    if (!firmware && context > model.config.maxPositions) {
      throw new UsageError(`context ${context} is more than the model's ${model.config.maxPositions} positions`);
    }
    this.settings = {
      mode: 'chat',
      temperature: !firmware ? model.generation.temperature : version === 3 ? FIRMWARE_V3_TEMPERATURE : FIRMWARE_TEMPERATURE,
      ...(version === 3 ? { topP: FIRMWARE_V3_TOP_P } : {}),
      maxReply: defaultMaxReply(options.mode ?? 'chat', firmware),
      firmware,
      ...(version ? { firmwareVersion: version, fma: fma ?? false } : {}),
      context,
    };
    this.set(changes);
    this.history = new ChatHistory(firmware ? FIRMWARE_HIST_MAX : undefined);
    this.engine = engineFor(model, { firmware, firmwareVersion: version, fma, context });
  }

  /** The v3 firmware's rules (sliding window, top-p, its prompt budget) are in force. */
  private get v3(): boolean {
    return this.settings.firmwareVersion === 3;
  }

  /** Changes settings after checking them (firmware mode, its version and the context are fixed per session). */
  set(changes: Partial<Omit<ChatSettings, 'firmware' | 'firmwareVersion' | 'fma' | 'context'>>): void {
    const c = changes;
    if (c.temperature !== undefined) checkTemperature(c.temperature);
    const unsafeMode = this.settings.firmware && !this.v3;
    if (c.maxReply !== undefined && !(Number.isInteger(c.maxReply) && (c.maxReply === -1 || c.maxReply >= 1 || (c.maxReply === -2 && unsafeMode)))) {
      const unsafe = unsafeMode ? ', or -2 for the device\'s unsafe mode' : this.v3 ? ' (the v3 firmware has no unsafe mode: its window slides)' : '';
      throw new UsageError(`max reply must be a whole number of tokens ≥ 1, or -1 for no limit${unsafe}; got ${c.maxReply}`);
    }
    if (c.topK !== undefined) {
      if (this.settings.firmware) throw new UsageError('firmware mode samples as the device does: no top-k');
      if (!(Number.isInteger(c.topK) && c.topK >= 0)) throw new UsageError(`top-k must be a whole number ≥ 0, got ${c.topK}`);
    }
    if (c.topP !== undefined) {
      if (this.settings.firmware && !this.v3) throw new UsageError('the v2 firmware samples without top-p (the v3 firmware has it)');
      if (!(c.topP > 0 && c.topP <= 1)) throw new UsageError(`top-p must be in (0, 1], got ${c.topP}`);
    }
    if (c.seed !== undefined && !Number.isSafeInteger(c.seed)) throw new UsageError(`seed must be a whole number, got ${c.seed}`);
    for (const [k, v] of Object.entries(c)) if (v !== undefined || k === 'seed') (this.settings as unknown as Record<string, unknown>)[k] = v;
    if (c.maxReply !== undefined) this.maxReplyChosen = true;
    else if (c.mode !== undefined && !this.maxReplyChosen) this.settings.maxReply = defaultMaxReply(c.mode, this.settings.firmware);
  }

  /** Prompt tokens available: v3 firmware, the window less 8; otherwise the context less the reply's room and one position. */
  get budget(): number {
    return this.v3 ? firmwareV3PromptBudget(this.settings.context) : promptBudget(this.settings.context, this.settings.maxReply);
  }

  newChat(): void {
    this.history.clear();
  }

  /** The message as it is sent: unchanged, or as the device's input line takes it. */
  input(text: string): string {
    return this.settings.firmware ? firmwareInput(text) : text;
  }

  /** The prompt a message would get now. */
  prepare(text: string): BuiltPrompt {
    const firmware = this.settings.firmware;
    const tok = this.model.tokenizer;
    return buildPrompt(this.settings.mode, this.history.exchanges, this.input(text), {
      encode: (t) => tok.encode(t, firmware ? { mode: 'device' } : undefined),
      eosId: this.model.config.eosId,
      budget: this.budget,
      firmware,
    });
  }

  /**
   * Streams the reply to one message (its pieces of text); the return value sums it up. A chat
   * reply is remembered when it is non-empty, also after an interrupt. Throws a UsageError when
   * the message alone does not fit (reference mode).
   */
  async *reply(message: string, signal?: AbortSignal): AsyncGenerator<string, ReplyResult, undefined> {
    const s = this.settings;
    const text = this.input(message);
    if (text === '') throw new UsageError('nothing to send: the device takes only printable ASCII characters');
    const prompt = this.prepare(text);
    if (prompt.tooLong) {
      throw new UsageError(
        `that message is ${prompt.tooLong.tokens} tokens but only ${prompt.tooLong.budget} fit beside a ${s.maxReply}-token reply: shorten it or lower the reply limit (/max)`,
      );
    }
    const start = performance.now();
    let slides = 0;
    const done = (reply: string, ids: number[], finishReason: ReplyFinish): ReplyResult => {
      // Positions used beyond the window mean generation went round it (unsafe mode).
      const wrapped = s.maxReply === -2 && prompt.ids.length + ids.length > s.context;
      if (s.mode === 'chat') this.history.push(text, reply);
      if (wrapped) this.history.clear();
      const ms = performance.now() - start;
      return { input: text, text: reply, promptIds: prompt.ids, ids, finishReason, prompt, wrapped, slides, ms, tokensPerSecond: ms > 0 ? (ids.length * 1000) / ms : 0 };
    };
    if (prompt.ids.length === 0) return done('', [], 'empty');

    const stream = generateStream(this.model, prompt.ids, {
      engine: this.engine,
      firmware: s.firmware,
      context: s.context,
      // no limit: the context's end (or, v3, the position table's) stops it; unsafe mode, EOS
      maxTokens: s.maxReply >= 0 ? s.maxReply : Number.MAX_SAFE_INTEGER,
      wrap: s.maxReply === -2,
      temperature: s.temperature,
      topK: s.firmware ? undefined : s.topK,
      topP: s.topP,
      seed: s.seed,
      signal,
    });
    const filter = s.mode === 'chat' ? new ReplyFilter(s.firmware) : undefined;
    const ids: number[] = [];
    let reply = '';
    let r: IteratorResult<GeneratePiece, GenerateResult>;
    try {
      while (!(r = await stream.next()).done) {
        if (r.value.id >= 0) ids.push(r.value.id);
        if (r.value.slide) slides++;
        const shown = filter ? filter.push(r.value.text) : { text: r.value.text, stop: false };
        if (shown.text) {
          reply += shown.text;
          yield shown.text;
        }
        if (shown.stop) {
          await stream.return(undefined as never);
          return done(reply, ids, 'user');
        }
      }
    } catch (err) {
      if (signal?.aborted) return done(reply, ids, 'interrupted');
      throw err;
    }
    slides = r.value.slides.length; // also a slide before an EOS, which brings no piece
    return done(reply, ids, r.value.finishReason);
  }
}

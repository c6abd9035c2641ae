// Text generation: a streaming async iterator of {id, text} pieces and a one-shot call on top of
// it. One loop serves both numerics — the float32 reference (model/transformer.ts) and the
// firmware (firmware/firmware-engine.ts or firmware/v3/engine.ts + their samplers) — and follows the
// device's order of checks: v2 (firmware-format.md 5.5) context end, then token limit, then the
// forward pass and the draw; v3 (11.2) token limit, position table end, window slide, forward.
import { UsageError } from '../errors.js';
import { firmwareEngine } from '../firmware/select.js';
import { FIRMWARE_TEMPERATURE, FIRMWARE_V3_TEMPERATURE, FIRMWARE_V3_TOP_P } from '../firmware/settings.js';
import { FirmwareV3Engine } from '../firmware/v3/engine.js';
import type { Slide } from '../firmware/v3/window.js';
import { FirmwareSampler } from '../sample/firmware-sampler.js';
import { FirmwareV3Sampler } from '../sample/firmware-v3-sampler.js';
import type { Engine } from '../neo/engine.js';
import type { Model } from '../neo/model.js';
import { Transformer } from '../model/transformer.js';
import { randomSeed } from '../sample/rng.js';
import { Sampler } from '../sample/sampler.js';
import { StopText } from './stop.js';

export type FinishReason = 'eos' | 'length' | 'stop' | 'context';

export interface GenerateOptions {
  /** New tokens at most (default model.generation.maxNewTokens). */
  maxTokens?: number;
  /** Defaults: model.generation (model card: 0.7, top-k 40, top-p 1, penalty 1); min-p 0. Firmware mode: 0.8, the device's. */
  temperature?: number;
  topK?: number;
  /** Firmware mode: v3 arithmetic only (its sampler's nucleus, default 0.9; 1 = the full multinomial). */
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  /** Seed of the xorshift64* stream (0 means 0xC0FFEE, as on the device); default random. */
  seed?: number | bigint;
  /** Generation ends before any of these strings (they are not part of the text). */
  stop?: readonly string[];
  /** false: EOS is fed back like any token instead of ending the text (default true). */
  stopOnEos?: boolean;
  /**
   * Reproduce the firmware: device encoding, its numerics, window and sampler. The blob's version
   * picks v2 or v3 (other Q4_0 models: v2) unless firmwareVersion says otherwise.
   */
  firmware?: boolean;
  /** Firmware mode: compute as this firmware version (2 or 3) whatever the blob's. */
  firmwareVersion?: number;
  /** Firmware mode, v3 arithmetic: fused multiply-adds, as the ESP32 build computes. */
  fma?: boolean;
  /** Positions for prompt + output: firmware KV window (default v2: 80; v3: 80, or 72 above dim 128) or reference context (default the model's). */
  context?: number;
  /**
   * Firmware only, the device's "unsafe" mode: at the context end the position goes back to just
   * after the prompt and generation goes on, overwriting the earlier output's cache rows.
   */
  wrap?: boolean;
  /** Adjusts the logits (V) before each draw, e.g. a logit bias; `ids` are the ids generated so far. */
  processLogits?: (logits: Float32Array, ids: readonly number[]) => void;
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** An engine to reuse (e.g. a server's); must match `firmware` and the model. Default: a new one. */
  engine?: Engine;
}

export interface GeneratePiece {
  /** The token (−1 for a last piece carrying text held back until the end). */
  id: number;
  /** Text this token completes; '' while a character or a possible stop string is incomplete. */
  text: string;
  /** v3 firmware: the window slid just before this token was computed. */
  slide?: Slide;
}

export interface GenerateResult {
  promptIds: number[];
  /** Generated ids (without the EOS that ended them). */
  ids: number[];
  text: string;
  finishReason: FinishReason;
  /** Firmware wrap mode: the position went back to the prompt end at least once. */
  wrapped: boolean;
  /** v3 firmware: each slide of the KV window, in order (none otherwise). */
  slides: Slide[];
  timings: { promptMs: number; genMs: number; tokensPerSecond: number };
}

/** Prompt text → ids: the device encoding in firmware mode, the tokenizer's own otherwise. */
export function encodePrompt(model: Model, prompt: string | readonly number[], firmware: boolean): number[] {
  if (typeof prompt !== 'string') return [...prompt];
  return model.tokenizer.encode(prompt, firmware ? { mode: 'device' } : undefined);
}

/** The engine generate() uses for these options. */
export function engineFor(model: Model, options: Pick<GenerateOptions, 'firmware' | 'firmwareVersion' | 'fma' | 'context'> = {}): Engine {
  if (options.firmware) return firmwareEngine(model, { ...options, maxBatch: 1 });
  if (options.firmwareVersion !== undefined || options.fma) throw new UsageError('the firmware version and fma choose firmware arithmetic: add firmware mode');
  return new Transformer(model, { context: options.context, maxBatch: 1 });
}

interface Picker {
  observe(ids: readonly number[]): void;
  sample(logits: Float32Array): number;
}

function picker(model: Model, o: GenerateOptions, engine: Engine): Picker {
  const g = model.generation;
  const seed = o.seed ?? randomSeed();
  if (o.firmware) {
    const v3 = engine instanceof FirmwareV3Engine;
    const temperature = o.temperature ?? (v3 ? FIRMWARE_V3_TEMPERATURE : FIRMWARE_TEMPERATURE);
    const absent = [['top-k', o.topK], ['min-p', o.minP], ['repetition penalty', o.repetitionPenalty], ...(v3 ? [] : [['top-p', o.topP]])] as const;
    for (const [name, v] of absent) {
      if (v !== undefined) {
        const has = v3 ? 'temperature, top-p and seed' : 'temperature and seed only; top-p is the v3 firmware\'s';
        throw new UsageError(`firmware mode samples as the device does (${has}); drop ${name}`);
      }
    }
    const s = v3 ? new FirmwareV3Sampler(temperature, o.topP ?? FIRMWARE_V3_TOP_P, seed) : new FirmwareSampler(temperature, seed);
    return { observe: () => {}, sample: (l) => s.sample(l) };
  }
  return new Sampler(
    {
      temperature: o.temperature ?? g.temperature,
      topK: o.topK ?? g.topK,
      topP: o.topP ?? g.topP,
      minP: o.minP ?? 0,
      repetitionPenalty: o.repetitionPenalty ?? g.repetitionPenalty,
      seed,
    },
    model.config.vocabSize,
  );
}

/** Lets timers and I/O run (aborts, other requests) at most every 25 ms of computing. */
const YIELD_MS = 25;

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Streams the generated tokens; the iterator's return value is the full result.
 * Pieces' texts concatenated equal result.text.
 */
export async function* generateStream(
  model: Model,
  prompt: string | readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GeneratePiece, GenerateResult, undefined> {
  const o = options;
  const firmware = o.firmware ?? false;
  if (o.wrap && !firmware) throw new UsageError('wrap is a firmware-mode option');
  const maxTokens = o.maxTokens ?? model.generation.maxNewTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new UsageError(`max tokens must be an integer ≥ 0, got ${maxTokens}`);
  const stops = o.stop ?? [];
  if (stops.some((s) => s.length === 0)) throw new UsageError('a stop string cannot be empty');
  const signal = o.signal;
  signal?.throwIfAborted();

  const start = performance.now();
  const promptIds = encodePrompt(model, prompt, firmware);
  const engine = o.engine ?? engineFor(model, o);
  const context = engine.context;
  if (promptIds.length === 0) throw new UsageError('the prompt is empty');
  if (promptIds.length >= context) {
    throw new UsageError(
      `the prompt has ${promptIds.length} tokens but the context holds ${context} positions (at most ${context - 1} prompt tokens, to leave room for one new token)`,
    );
  }
  // v3 firmware: the window slides instead of ending or wrapping
  const sliding = engine instanceof FirmwareV3Engine ? engine : undefined;
  if (sliding && o.wrap) throw new UsageError('the v3 firmware slides its window instead of wrapping: drop wrap (unsafe mode is the v2 firmware\'s)');
  const sampler = picker(model, o, engine);
  const eos = model.config.eosId;
  const stopOnEos = o.stopOnEos ?? true;
  const decoder = model.tokenizer.decoder();
  const stopText = new StopText(stops);

  const seq = engine.newSequence();
  let logits = engine.prefill(seq, promptIds);
  sampler.observe(promptIds);
  const genStart = performance.now();
  const promptMs = genStart - start;

  const ids: number[] = [];
  let text = '';
  let total = promptIds.length; // positions taken, counting the last sampled token
  let wrapped = false;
  const slides: Slide[] = [];
  let slid: Slide | undefined;
  let finishReason: FinishReason;
  let lastYield = performance.now();
  for (;;) {
    signal?.throwIfAborted();
    if (sliding) {
      if (ids.length >= maxTokens) {
        finishReason = 'length';
        break;
      }
      const room = ids.length > 0 ? sliding.makeRoom(seq, promptIds.length) : undefined;
      if (room === 'context') {
        finishReason = 'context';
        break;
      }
      if (room) slides.push((slid = room));
    } else {
      if (total >= context) {
        if (!o.wrap) {
          finishReason = 'context';
          break;
        }
        engine.rewind(seq, promptIds.length);
        total = promptIds.length + 1;
        wrapped = true;
      }
      if (ids.length >= maxTokens) {
        finishReason = 'length';
        break;
      }
    }
    if (ids.length > 0) logits = engine.decode([seq], [ids[ids.length - 1]!]);
    o.processLogits?.(logits, ids);
    const next = sampler.sample(logits);
    if (next === eos && stopOnEos) {
      finishReason = 'eos';
      break;
    }
    ids.push(next);
    total++;
    sampler.observe([next]);
    const shown = stopText.push(decoder.push(next));
    text += shown.text;
    yield slid ? { id: next, text: shown.text, slide: slid } : { id: next, text: shown.text };
    slid = undefined;
    if (shown.stopped) {
      finishReason = 'stop';
      break;
    }
    if (performance.now() - lastYield > YIELD_MS) {
      await macrotask();
      lastYield = performance.now();
    }
  }
  if (finishReason !== 'stop') {
    const rest = stopText.push(decoder.flush());
    const tail = rest.text + stopText.flush();
    if (tail) {
      text += tail;
      yield { id: -1, text: tail };
    }
  }
  const genMs = performance.now() - genStart;
  return {
    promptIds,
    ids,
    text,
    finishReason,
    wrapped,
    slides,
    timings: { promptMs, genMs, tokensPerSecond: genMs > 0 ? (ids.length / genMs) * 1000 : 0 },
  };
}

/** Generates to the end and returns the result (see generateStream). */
export async function generate(model: Model, prompt: string | readonly number[], options: GenerateOptions = {}): Promise<GenerateResult> {
  const it = generateStream(model, prompt, options);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}

// What `tinytalk bench` measures for one model: load time, greedy decode tokens/s at batch 1,
// prompt tokens/s, and — in a fresh process — time from process start to the first token and
// the peak resident memory of a chat-sized generation. Medians over several runs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firmwareVersionOf } from '../../core/firmware/select.js';
import type { Engine, Sequence } from '../../core/neo/engine.js';
import type { Model } from '../../core/neo/model.js';
import { argmax } from '../../core/sample/sampler.js';

export type BenchMode = 'reference' | 'firmware';
export type WeightLayout = 'stored' | 'float32';

export interface BenchOptions {
  threads: number;
  runs: number;
  mode: BenchMode;
  weights: WeightLayout;
  /** Firmware mode: the arithmetic (default: the blob's version). */
  firmwareVersion?: 2 | 3;
  /** Firmware mode, v3 arithmetic: fused multiply-adds. */
  fma?: boolean;
}

export interface BenchResult {
  model: string;
  mode: BenchMode;
  /** Firmware mode: the firmware arithmetic measured (fma: with fused multiply-adds). */
  firmware_version?: 2 | 3;
  fma?: boolean;
  weights: WeightLayout;
  threads: number;
  runs: number;
  decode_tokens_per_second: number;
  prefill_tokens_per_second: number;
  load_ms: number;
  first_token_ms: number;
  peak_rss_mb: number;
  /**
   * The same rates over the process's CPU time (user + sys, every thread) instead of the wall
   * clock: with one thread, what an idle machine gives, however loaded this one is.
   */
  decode_tokens_per_cpu_second: number;
  prefill_tokens_per_cpu_second: number;
  /** CPU time of the probe process from its start to the first token. */
  first_token_cpu_ms: number;
}

export const DECODE_PROMPT_TOKENS = 16;
export const DECODE_NEW_TOKENS = 240;
export const PREFILL_TOKENS = 250;

const CHAT_TEXT =
  'User: Hi there! I just got back from a long walk in the park and I feel great.\nBot: That sounds lovely! ' +
  'What did you see on your walk?\nUser: Ducks on the pond, a few dogs playing and lots of autumn leaves.\nBot:';

/** Exactly n prompt ids: the chat text encoded, repeated as needed. */
export function promptIds(model: Model, n: number): number[] {
  const base = model.tokenizer.encode(CHAT_TEXT);
  const ids: number[] = [];
  while (ids.length < n) ids.push(...base);
  return ids.slice(0, n);
}

/** CPU time of this process so far (user + sys, all threads), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Loads a model and builds its engine with the weights placed for the kernels. Firmware engines
 * get a window of all the model's positions: the decode run then needs no slide, and a v2 and a
 * v3 engine on the same blob do the same work.
 */
export async function loadEngine(ref: string, o: Pick<BenchOptions, 'mode' | 'weights' | 'firmwareVersion' | 'fma'>): Promise<{ model: Model; engine: Engine }> {
  const { loadModel } = await import('../load.js');
  const model = await loadModel(ref);
  if (o.mode === 'firmware') {
    const { firmwareEngine } = await import('../../core/firmware/select.js');
    return { model, engine: firmwareEngine(model, { firmwareVersion: o.firmwareVersion, fma: o.fma, context: model.config.maxPositions, maxBatch: 1 }) };
  }
  const { placeWeights } = await import('../../core/kernels/place.js');
  const { Transformer } = await import('../../core/model/transformer.js');
  const placed = { ...model, weights: placeWeights(model.weights, { float32: o.weights === 'float32' }) };
  return { model: placed, engine: new Transformer(placed, { context: model.config.maxPositions, maxBatch: 1 }) };
}

/**
 * Greedy decoding without stops: the first token from the prompt pass, then one decode() per
 * token. In `seq` (rewound to empty) when given: a chat reuses its cache rather than making one.
 */
export function greedy(
  engine: Engine, prompt: readonly number[], newTokens: number, onFirst?: () => void, seq?: Sequence,
): { decodeMs: number; decodeCpuMs: number } {
  if (seq) engine.rewind(seq, 0);
  else seq = engine.newSequence();
  let token = argmax(engine.prefill(seq, prompt));
  onFirst?.();
  const t0 = performance.now();
  const c0 = cpuMs();
  for (let i = 1; i < newTokens; i++) token = argmax(engine.decode([seq], [token]));
  return { decodeMs: performance.now() - t0, decodeCpuMs: cpuMs() - c0 };
}

/** Decode and prompt speed in this process, load time of fresh loads. */
async function inProcess(ref: string, o: BenchOptions) {
  const loads: number[] = [];
  let loaded: { model: Model; engine: Engine } | undefined;
  for (let r = 0; r < o.runs; r++) {
    loaded = undefined; // let the previous model go before timing the next load
    const t0 = performance.now();
    loaded = await loadEngine(ref, o);
    loads.push(performance.now() - t0);
  }
  const { model, engine } = loaded!;
  const decodePrompt = promptIds(model, DECODE_PROMPT_TOKENS);
  const longPrompt = promptIds(model, PREFILL_TOKENS);
  // one cache for every run, as a chat keeps its own (a fresh one costs page faults, not compute)
  const seq = engine.newSequence();
  greedy(engine, decodePrompt, 32, undefined, seq); // warm-up: let the JIT compile the hot paths
  engine.rewind(seq, 0);
  engine.prefill(seq, longPrompt);
  const decode: number[] = [];
  const decodeCpu: number[] = [];
  const prefill: number[] = [];
  const prefillCpu: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    const g = greedy(engine, decodePrompt, DECODE_NEW_TOKENS, undefined, seq);
    decode.push(((DECODE_NEW_TOKENS - 1) * 1000) / g.decodeMs);
    decodeCpu.push(((DECODE_NEW_TOKENS - 1) * 1000) / g.decodeCpuMs);
    engine.rewind(seq, 0);
    const t0 = performance.now();
    const c0 = cpuMs();
    engine.prefill(seq, longPrompt);
    prefill.push((PREFILL_TOKENS * 1000) / (performance.now() - t0));
    prefillCpu.push((PREFILL_TOKENS * 1000) / (cpuMs() - c0));
  }
  const firmwareVersion = o.mode === 'firmware' ? firmwareVersionOf(model, o.firmwareVersion) : undefined;
  return { decode: median(decode), prefill: median(prefill), load: median(loads), decodeCpu: median(decodeCpu), prefillCpu: median(prefillCpu), firmwareVersion };
}

/** The first-token probe: a fresh `tinytalk bench --probe` process, timed from its spawn. */
function probe(ref: string, o: BenchOptions): Promise<{ firstTokenMs: number; firstTokenCpuMs: number; peakRssMb: number }> {
  const bin = fileURLToPath(new URL('../../../bin/tinytalk.js', import.meta.url));
  const args = [bin, 'bench', '--probe', '--model', ref, '--threads', String(o.threads), '--mode', o.mode, '--weights', o.weights];
  if (o.firmwareVersion) args.push('--firmware-version', String(o.firmwareVersion));
  if (o.fma) args.push('--fma');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let firstTokenMs = NaN;
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(firstTokenMs) && d.includes('first-token')) firstTokenMs = performance.now() - t0;
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /peak-rss-mb (\S+)/.exec(out);
      const cpu = /first-token (\S+)/.exec(out);
      if (code !== 0 || !m || !cpu) reject(new Error(`the first-token probe failed (exit ${code}): ${err.trim() || out.trim()}`));
      else resolve({ firstTokenMs, firstTokenCpuMs: Number(cpu[1]), peakRssMb: Number(m[1]) });
    });
  });
}

/** Inside the probe process: first token as soon as possible, then a chat-sized generation. */
export async function runProbe(ref: string, o: BenchOptions): Promise<void> {
  const { engine, model } = await loadEngine(ref, o);
  greedy(engine, promptIds(model, DECODE_PROMPT_TOKENS), DECODE_NEW_TOKENS, () => process.stdout.write(`first-token ${cpuMs().toFixed(1)}\n`));
  process.stdout.write(`peak-rss-mb ${(process.resourceUsage().maxRSS / 1024).toFixed(1)}\n`);
}

export async function benchModel(ref: string, o: BenchOptions): Promise<BenchResult> {
  const probes = [];
  for (let r = 0; r < Math.max(3, o.runs); r++) probes.push(await probe(ref, o));
  const { decode, prefill, load, decodeCpu, prefillCpu, firmwareVersion } = await inProcess(ref, o);
  return {
    model: ref,
    mode: o.mode,
    ...(firmwareVersion ? { firmware_version: firmwareVersion, fma: o.fma ?? false } : {}),
    weights: o.weights,
    threads: o.threads,
    runs: o.runs,
    decode_tokens_per_second: Math.round(decode),
    prefill_tokens_per_second: Math.round(prefill),
    load_ms: Math.round(load * 10) / 10,
    first_token_ms: Math.round(median(probes.map((p) => p.firstTokenMs)) * 10) / 10,
    peak_rss_mb: Math.round(median(probes.map((p) => p.peakRssMb)) * 10) / 10,
    decode_tokens_per_cpu_second: Math.round(decodeCpu),
    prefill_tokens_per_cpu_second: Math.round(prefillCpu),
    first_token_cpu_ms: Math.round(median(probes.map((p) => p.firstTokenCpuMs)) * 10) / 10,
  };
}

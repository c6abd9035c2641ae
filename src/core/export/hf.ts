// A Hugging Face GPT-Neo checkpoint, built in memory: config.json, model.safetensors (F32, F16 or
// BF16), tokenizer.json, vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json and
// generation_config.json, laid out as transformers' save_pretrained writes them (tied lm_head
// left out). The trainer saves its checkpoints with it; `tinytalk convert --to hf` writes it out;
// the ONNX export reuses everything but the weights.
import { UsageError } from '../errors.js';
import { f32ToBf16, f32ToF16 } from '../halfs.js';
import { dequantize } from '../kernels/matmul.js';
import { writeSafetensors, type SafetensorsDtype, type TensorToWrite } from '../formats/safetensors.js';
import type { GenerationDefaults, NeoConfig } from '../model/config.js';
import type { NeoWeights } from '../model/weights.js';
import { bytesToGpt2String } from '../tokenizer/byte-unicode.js';
import type { Tokenizer, TokenizerVocab } from '../tokenizer/types.js';

export interface HfExportable {
  config: NeoConfig;
  weights: NeoWeights;
  tokenizer: Tokenizer;
  generation?: GenerationDefaults;
}

export interface HfExportOptions {
  /** Storage type of every tensor (default F32). */
  dtype?: SafetensorsDtype;
}

const EOS_TEXT = '<|endoftext|>';
/** Stands for the vocabulary object in tokenizer.json until it is spliced in (see tokenIdsJson). */
const VOCAB_SLOT = '\u0000vocab\u0000';
const TORCH_DTYPE: Record<SafetensorsDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** file name → bytes, for a Hugging Face GPT-Neo directory. */
export function hfCheckpointFiles(model: HfExportable, options: HfExportOptions = {}): Map<string, Uint8Array> {
  const dtype = options.dtype ?? 'F32';
  const files = hfConfigFiles(model, dtype);
  files.set('model.safetensors', writeSafetensors(neoTensors(model.config, model.weights, dtype)));
  return files;
}

/**
 * Everything of the directory but the weights: config.json (with `configExtras` added),
 * generation_config.json and the tokenizer files. Also the frame of the ONNX export.
 */
export function hfConfigFiles(model: HfExportable, dtype: SafetensorsDtype, configExtras: Record<string, unknown> = {}): Map<string, Uint8Array> {
  const { config } = model;
  const vocab = model.tokenizer.vocab();
  const tokens = vocab.pieces.map((p, id) => (id === vocab.eosId ? EOS_TEXT : bytesToGpt2String(p)));
  const json = (v: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
  const files = new Map<string, Uint8Array>();
  files.set('config.json', json({ ...configJson(config, model.weights.wte.rows, dtype), ...configExtras }));
  files.set('generation_config.json', json(generationJson(config, model.generation)));
  const vocabJson = tokenIdsJson(tokens);
  files.set('tokenizer.json', new TextEncoder().encode(`${JSON.stringify(tokenizerJson(tokens, vocab), null, 2).replace(JSON.stringify(VOCAB_SLOT), () => vocabJson)}\n`));
  files.set('vocab.json', new TextEncoder().encode(vocabJson));
  files.set('merges.txt', new TextEncoder().encode(['#version: 0.2', ...vocab.merges.map(([a, b]) => `${tokens[a]} ${tokens[b]}`), ''].join('\n')));
  files.set('tokenizer_config.json', json({
    add_prefix_space: false,
    bos_token: EOS_TEXT,
    eos_token: EOS_TEXT,
    unk_token: EOS_TEXT,
    model_max_length: config.maxPositions,
    tokenizer_class: 'GPT2Tokenizer',
  }));
  files.set('special_tokens_map.json', json({ bos_token: EOS_TEXT, eos_token: EOS_TEXT, unk_token: EOS_TEXT }));
  return files;
}

/** attention_types in HF's compressed form: the shortest repeating unit and its count. */
function attentionTypes(layers: readonly string[]): [string[], number][] {
  const L = layers.length;
  for (let p = 1; p <= L; p++) {
    if (L % p === 0 && layers.every((t, i) => t === layers[i % p])) return [[layers.slice(0, p), L / p]];
  }
  return [[[...layers], 1]];
}

function configJson(c: NeoConfig, vocabSize: number, dtype: SafetensorsDtype): Record<string, unknown> {
  return {
    activation_function: c.activation,
    architectures: ['GPTNeoForCausalLM'],
    attention_dropout: 0,
    attention_layers: c.attentionLayers,
    attention_types: attentionTypes(c.attentionLayers),
    bos_token_id: c.bosId,
    embed_dropout: 0,
    eos_token_id: c.eosId,
    hidden_size: c.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: c.intermediateSize === 4 * c.hiddenSize ? null : c.intermediateSize,
    layer_norm_epsilon: c.layerNormEpsilon,
    max_position_embeddings: c.maxPositions,
    model_type: 'gpt_neo',
    num_heads: c.numHeads,
    num_layers: c.numLayers,
    resid_dropout: 0,
    tie_word_embeddings: true,
    dtype: TORCH_DTYPE[dtype], // transformers ≥ 4.56 reads dtype, older ones torch_dtype
    torch_dtype: TORCH_DTYPE[dtype],
    use_cache: true,
    vocab_size: vocabSize,
    window_size: c.windowSize,
  };
}

function generationJson(c: NeoConfig, g: GenerationDefaults | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { bos_token_id: c.bosId, eos_token_id: c.eosId };
  if (g) {
    Object.assign(out, { do_sample: g.temperature > 0, temperature: g.temperature, top_k: g.topK, top_p: g.topP, max_new_tokens: g.maxNewTokens });
    if (g.repetitionPenalty !== 1) out.repetition_penalty = g.repetitionPenalty;
  }
  return out;
}

/**
 * {"token": id, …} in id order. Built by hand: a JS object would list integer-like keys ("0",
 * "1", …) first, and Hugging Face files list tokens by id.
 */
function tokenIdsJson(tokens: readonly string[]): string {
  return `{${tokens.map((t, id) => `${JSON.stringify(t)}:${id}`).join(',')}}`;
}

function tokenizerJson(tokens: string[], vocab: TokenizerVocab): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: vocab.eosId, content: EOS_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, add_prefix_space: true, trim_offsets: false },
    decoder: { ...byteLevel, add_prefix_space: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: VOCAB_SLOT,
      merges: vocab.merges.map(([a, b]) => [tokens[a], tokens[b]]),
    },
  };
}

/**
 * The weights under GPT-Neo's names. GPT-Neo has no attention scaling and no q/k/v biases: a
 * model re-expressed as GPT-2 (attentionScale ≠ 1) has its scale folded back into q, and is
 * refused if its q/k/v biases are not all zero.
 */
function neoTensors(c: NeoConfig, w: NeoWeights, dtype: SafetensorsDtype): TensorToWrite[] {
  const encode = (x: Float32Array): Float32Array | Uint16Array =>
    dtype === 'F32' ? x : Uint16Array.from(x, dtype === 'F16' ? f32ToF16 : f32ToBf16);
  const t = (name: string, shape: number[], x: Float32Array): TensorToWrite => ({ name: `transformer.${name}`, dtype, shape, data: encode(x) });
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const V = w.wte.rows;
  const P = w.wpe.length / D;
  const out: TensorToWrite[] = [t('wte.weight', [V, D], dequantize(w.wte)), t('wpe.weight', [P, D], w.wpe)];
  w.layers.forEach((l, i) => {
    if (l.qkvBias && [l.qkvBias.q, l.qkvBias.k, l.qkvBias.v].some((b) => b.some((x) => x !== 0))) {
      throw new UsageError(`layer ${i} has non-zero q/k/v biases, which GPT-Neo cannot hold`);
    }
    let q = dequantize(l.q);
    if (c.attentionScale !== 1) q = q.map((x) => Math.fround(x * c.attentionScale));
    const h = `h.${i}`;
    const a = `${h}.attn.attention`;
    out.push(
      t(`${h}.ln_1.weight`, [D], l.ln1.weight),
      t(`${h}.ln_1.bias`, [D], l.ln1.bias),
      t(`${a}.q_proj.weight`, [D, D], q),
      t(`${a}.k_proj.weight`, [D, D], dequantize(l.k)),
      t(`${a}.v_proj.weight`, [D, D], dequantize(l.v)),
      t(`${a}.out_proj.weight`, [D, D], dequantize(l.out)),
      t(`${a}.out_proj.bias`, [D], l.outBias),
      t(`${h}.ln_2.weight`, [D], l.ln2.weight),
      t(`${h}.ln_2.bias`, [D], l.ln2.bias),
      t(`${h}.mlp.c_fc.weight`, [F, D], dequantize(l.fc)),
      t(`${h}.mlp.c_fc.bias`, [F], l.fcBias),
      t(`${h}.mlp.c_proj.weight`, [D, F], dequantize(l.proj)),
      t(`${h}.mlp.c_proj.bias`, [D], l.projBias),
    );
  });
  out.push(t('ln_f.weight', [D], w.lnF.weight), t('ln_f.bias', [D], w.lnF.bias));
  return out;
}

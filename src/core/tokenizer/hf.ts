// Hugging Face GPT-2 tokenizers, both ways: tokenizer.json (BPE model + added tokens), or the
// older pair vocab.json + merges.txt, read into a BpeTokenizer and written back from a vocabulary.
// Token strings use GPT-2's byte→unicode spelling; merge rank = order.
import { FormatError } from '../errors.js';
import { describe, jsonObject, jsonText, parseJson, utf8Text } from '../bytes/json.js';
import { MAX_PRIORITY } from './bpe.js';
import { BYTE_TO_UNICODE, bytesToGpt2String, gpt2StringToBytes } from './byte-unicode.js';
import { EOS_TEXT } from './pretokenize.js';
import { BpeTokenizer } from './tokenizer.js';
import type { Merge, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';

/** The names of a Hugging Face tokenizer's files, by the field of HfTokenizerFiles holding each. */
export const HF_TOKENIZER_FILES = { tokenizerJson: 'tokenizer.json', vocabJson: 'vocab.json', mergesTxt: 'merges.txt' } as const;

export interface HfTokenizerFiles {
  tokenizerJson?: string | Uint8Array;
  vocabJson?: string | Uint8Array;
  mergesTxt?: string | Uint8Array;
}

/** Where errors point, which differs between the two layouts. */
interface Fields {
  vocabFile: string;
  vocab: string;
  mergesFile: string;
  merge(i: number): string;
  eos: string;
}

/**
 * A GPT-2 byte-level BPE tokenizer from tokenizer.json, or else vocab.json + merges.txt.
 * `file` names the source in errors: the tokenizer.json path, or the directory holding the pair.
 * It encodes in 'gpt2' mode unless told otherwise. Only `<|endoftext|>` is split out as a special token.
 */
export function loadHfTokenizer(files: HfTokenizerFiles, file: string): Tokenizer {
  if (files.tokenizerJson !== undefined) return fromTokenizerJson(text(files.tokenizerJson, file), file);
  if (files.vocabJson === undefined || files.mergesTxt === undefined) {
    throw new FormatError(file, 'tokenizer', 'tokenizer.json, or vocab.json and merges.txt');
  }
  const vocabFile = `${file}/${HF_TOKENIZER_FILES.vocabJson}`;
  const mergesFile = `${file}/${HF_TOKENIZER_FILES.mergesTxt}`;
  const vocab = jsonObject(parseJson(text(files.vocabJson, vocabFile), vocabFile), vocabFile, 'vocab');
  const merges: Array<[string, string]> = [];
  const lines: number[] = []; // line number of each merge, for errors
  text(files.mergesTxt, mergesFile)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || (i === 0 && line.startsWith('#version'))) return;
      const parts = line.split(' ');
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        throw new FormatError(mergesFile, `line ${i + 1}`, 'two tokens separated by one space', describe(line));
      }
      merges.push([parts[0], parts[1]]);
      lines.push(i + 1);
    });
  const fields: Fields = {
    vocabFile,
    vocab: 'vocab',
    mergesFile,
    merge: (i) => `line ${lines[i]}`,
    eos: `vocab["${EOS_TEXT}"]`,
  };
  return build(vocab, merges, new Map(), fields);
}

function fromTokenizerJson(source: string, file: string): Tokenizer {
  const root = jsonObject(parseJson(source, file), file, 'tokenizer.json');
  if (root['normalizer'] != null) throw new FormatError(file, 'normalizer', 'null (GPT-2 uses none)', describe(root['normalizer']));
  const pre = root['pre_tokenizer'];
  if (pre != null) {
    const p = jsonObject(pre, file, 'pre_tokenizer');
    if (p['type'] !== 'ByteLevel') throw new FormatError(file, 'pre_tokenizer.type', '"ByteLevel" (GPT-2)', describe(p['type']));
    if (p['add_prefix_space'] === true) throw new FormatError(file, 'pre_tokenizer.add_prefix_space', 'false', 'true');
    if (p['use_regex'] === false) throw new FormatError(file, 'pre_tokenizer.use_regex', "true (GPT-2's regex split)", 'false');
  }
  const model = jsonObject(root['model'], file, 'model');
  if (model['type'] !== undefined && model['type'] !== 'BPE') throw new FormatError(file, 'model.type', '"BPE"', describe(model['type']));
  if (model['ignore_merges'] === true) throw new FormatError(file, 'model.ignore_merges', 'false (GPT-2 BPE)', 'true');
  // Settings GPT-2 leaves off that would change the ids: random merge dropout, word affixes.
  if (model['dropout'] != null && model['dropout'] !== 0) throw new FormatError(file, 'model.dropout', 'null (deterministic BPE)', describe(model['dropout']));
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    if (model[key] != null && model[key] !== '') throw new FormatError(file, `model.${key}`, 'none (GPT-2 uses no affixes)', describe(model[key]));
  }
  const vocab = jsonObject(model['vocab'], file, 'model.vocab');
  const list = model['merges'];
  if (!Array.isArray(list)) throw new FormatError(file, 'model.merges', 'an array of merges', describe(list));
  const merges = list.map((m: unknown, i): [string, string] => {
    const parts = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(parts) || parts.length !== 2 || parts.some((s) => typeof s !== 'string' || s === '')) {
      throw new FormatError(file, `model.merges[${i}]`, '"a b" or ["a", "b"]', describe(m));
    }
    return [parts[0], parts[1]];
  });

  // Added tokens are ids the BPE vocabulary may lack; their content is plain text, not GPT-2-spelled.
  const added = new Map<number, string>();
  const addedList = root['added_tokens'] ?? [];
  if (!Array.isArray(addedList)) throw new FormatError(file, 'added_tokens', 'an array', describe(addedList));
  addedList.forEach((t: unknown, i) => {
    const token = jsonObject(t, file, `added_tokens[${i}]`);
    const { id, content } = token;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_PRIORITY || typeof content !== 'string') {
      throw new FormatError(file, `added_tokens[${i}]`, `a token id in 0..${MAX_PRIORITY - 1} and a string "content"`);
    }
    added.set(id, content);
  });
  const fields: Fields = {
    vocabFile: file,
    vocab: 'model.vocab',
    mergesFile: file,
    merge: (i) => `model.merges[${i}]`,
    eos: 'added_tokens',
  };
  return build(vocab, merges, added, fields);
}

/** Checks the vocabulary and turns strings into byte pieces and id triples. */
function build(
  vocabJson: Record<string, unknown>,
  mergeStrings: Array<[string, string]>,
  added: Map<number, string>,
  fields: Fields,
): Tokenizer {
  const file = fields.vocabFile;
  const ids = new Map<string, number>();
  const byId = new Map<number, Uint8Array>();
  for (const [token, id] of Object.entries(vocabJson)) {
    const field = `${fields.vocab}[${JSON.stringify(token)}]`;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_PRIORITY) {
      throw new FormatError(file, field, `a token id in 0..${MAX_PRIORITY - 1}`, describe(id));
    }
    const piece = gpt2StringToBytes(token);
    if (piece === null) throw new FormatError(file, field, 'GPT-2 byte-level characters (byte→unicode map)');
    if (byId.has(id)) throw new FormatError(file, field, 'a token id used once', `id ${id} again`);
    ids.set(token, id);
    byId.set(id, piece);
  }
  // Added tokens outside the BPE vocabulary get ids (and pieces) but take no part in merges.
  const utf8 = new TextEncoder();
  for (const [id, content] of added) {
    if (!byId.has(id)) byId.set(id, utf8.encode(content));
    if (content === EOS_TEXT && !ids.has(EOS_TEXT)) ids.set(EOS_TEXT, id);
  }

  const vocabSize = byId.size;
  const pieces: Uint8Array[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const piece = byId.get(id);
    if (piece === undefined) throw new FormatError(file, fields.vocab, `ids 0..${vocabSize - 1} with none missing`, `no token ${id}`);
    pieces.push(piece);
  }
  const byteIds = BYTE_TO_UNICODE.map((ch, b) => {
    const id = ids.get(ch);
    if (id === undefined) throw new FormatError(file, fields.vocab, `a token for every byte`, `none for byte ${b} (${JSON.stringify(ch)})`);
    return id;
  });
  const eosId = ids.get(EOS_TEXT);
  if (eosId === undefined) throw new FormatError(file, fields.eos, `the token ${EOS_TEXT}`, 'none');

  const seen = new Set<number>();
  const merges: Merge[] = mergeStrings.map(([left, right], i) => {
    const a = ids.get(left), b = ids.get(right), c = ids.get(left + right);
    if (a === undefined || b === undefined || c === undefined) {
      const missing = a === undefined ? left : b === undefined ? right : left + right;
      throw new FormatError(fields.mergesFile, fields.merge(i), `tokens that are in ${fields.vocab}`, `unknown ${JSON.stringify(missing)}`);
    }
    if (seen.has(a * vocabSize + b)) throw new FormatError(fields.mergesFile, fields.merge(i), 'each pair merged once', `${JSON.stringify(`${left} ${right}`)} again`);
    seen.add(a * vocabSize + b);
    return [a, b, c];
  });
  return new BpeTokenizer({ pieces, merges, byteIds, eosId }, 'gpt2');
}

function text(data: string | Uint8Array, file: string): string {
  return typeof data === 'string' ? data : utf8Text(data, file);
}

// ---- writing ------------------------------------------------------------------------------------

/** Stands for the vocabulary object in tokenizer.json until it is spliced in (see tokenIdsJson). */
const VOCAB_SLOT = '\u0000vocab\u0000';

/** Every token as GPT-2 spells it in vocab.json and merges.txt (EOS as its text). */
export function gpt2Tokens(vocab: TokenizerVocab): string[] {
  return vocab.pieces.map((p, id) => (id === vocab.eosId ? EOS_TEXT : bytesToGpt2String(p)));
}

/** The merges as merges.txt and GGUF write them: "a b", rank order. */
export function gpt2MergeLines(vocab: TokenizerVocab, tokens: readonly string[]): string[] {
  return vocab.merges.map(([a, b]) => `${tokens[a]} ${tokens[b]}`);
}

/**
 * file name → text of a Hugging Face GPT-2 tokenizer (tokenizer.json, vocab.json, merges.txt,
 * tokenizer_config.json, special_tokens_map.json) for a model of maxPositions positions.
 */
export function hfTokenizerFiles(vocab: TokenizerVocab, maxPositions: number): Map<string, string> {
  const tokens = gpt2Tokens(vocab);
  const vocabJson = tokenIdsJson(tokens);
  return new Map([
    [HF_TOKENIZER_FILES.tokenizerJson, `${JSON.stringify(tokenizerJson(tokens, vocab), null, 2).replace(JSON.stringify(VOCAB_SLOT), () => vocabJson)}\n`],
    [HF_TOKENIZER_FILES.vocabJson, vocabJson],
    [HF_TOKENIZER_FILES.mergesTxt, ['#version: 0.2', ...gpt2MergeLines(vocab, tokens), ''].join('\n')],
    ['tokenizer_config.json', jsonText({
      add_prefix_space: false,
      bos_token: EOS_TEXT,
      eos_token: EOS_TEXT,
      unk_token: EOS_TEXT,
      model_max_length: maxPositions,
      tokenizer_class: 'GPT2Tokenizer',
    })],
    ['special_tokens_map.json', jsonText({ bos_token: EOS_TEXT, eos_token: EOS_TEXT, unk_token: EOS_TEXT })],
  ]);
}

/**
 * {"token": id, …} in id order. Built by hand: a JS object would list integer-like keys ("0",
 * "1", …) first, and Hugging Face files list tokens by id.
 */
function tokenIdsJson(tokens: readonly string[]): string {
  return `{${tokens.map((t, id) => `${JSON.stringify(t)}:${id}`).join(',')}}`;
}

function tokenizerJson(tokens: readonly string[], vocab: TokenizerVocab): Record<string, unknown> {
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

// Everything `convert --to firmware` produces, in memory: the CRDP model blob, the CTK2 tokenizer
// blob, optionally the two C++ sources the firmware compiles (6.4), and a flash-budget verdict.
import { UsageError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import type { NeoWeights } from '../neo/weights.js';
import type { Tokenizer } from '../neo/tokenizer.js';
import { crdpSize, writeCrdp, type CrdpVersion } from '../formats/crdp.js';
import { ctk2Size, writeCtk2 } from '../formats/ctk2.js';
import type { Q4Quantizer } from '../formats/quant.js';
import { EOS_TEXT } from '../tokenizer/pretokenize.js';
import { cSource, MODEL_SYMBOL, TOKENIZER_SYMBOL } from './csource.js';

export interface FirmwareModel {
  config: NeoConfig;
  weights: NeoWeights;
  tokenizer: Tokenizer;
}

/** File names the firmware expects: v2 embeds embed/*.bin; v3 reads TINYTLK.BIN/.TOK. */
export const FIRMWARE_NAMES: Record<CrdpVersion, { model: string; tokenizer: string }> = {
  2: { model: 'model_neo_q4.bin', tokenizer: 'tok_neo.bin' },
  3: { model: 'TINYTLK.BIN', tokenizer: 'TINYTLK.TOK' },
};

export interface FirmwareFiles {
  /** file name → bytes or C source text */
  files: Map<string, Uint8Array | string>;
  modelBytes: number;
  tokenizerBytes: number;
}

/** quantizer: how the Q4_0 scales are chosen ('max', the converter's, by default). */
export function firmwareFiles(model: FirmwareModel, version: CrdpVersion, cSources: boolean, quantizer: Q4Quantizer = 'max'): FirmwareFiles {
  const blob = writeCrdp(model.config, model.weights, version, quantizer);
  const tok = writeCtk2(model.tokenizer.vocab());
  const names = FIRMWARE_NAMES[version];
  const files = new Map<string, Uint8Array | string>([
    [names.model, blob],
    [names.tokenizer, tok],
  ]);
  if (cSources) {
    files.set('model_data.cpp', cSource(blob, MODEL_SYMBOL));
    files.set('tok_data.cpp', cSource(tok, TOKENIZER_SYMBOL));
  }
  return { files, modelBytes: blob.length, tokenizerBytes: tok.length };
}

/** Bytes the two blobs take in flash, and what one token / one position row costs. */
export function firmwareFootprint(model: FirmwareModel, version: CrdpVersion) {
  const { config, weights, tokenizer } = model;
  const vocab = tokenizer.vocab();
  const V = vocab.pieces.length;
  const P = weights.wpe.length / config.hiddenSize;
  const pieceBytes = vocab.pieces.reduce((s, p) => s + p.length, 0);
  const modelBytes = crdpSize(config, V, P, version);
  const tokenizerBytes = ctk2Size(V, vocab.merges.length, pieceBytes);
  return {
    vocab: V,
    positions: P,
    modelBytes,
    tokenizerBytes,
    total: modelBytes + tokenizerBytes,
    // one more token: its wte row, its merge record, its piece record (of the average length)
    perToken: crdpSize(config, V + 1, P, version) - modelBytes + ctk2Size(V + 1, vocab.merges.length + 1, pieceBytes + Math.round(pieceBytes / V)) - tokenizerBytes,
    perPosition: 4 * config.hiddenSize,
  };
}

/** Throws a UsageError that says what to change when the blobs exceed maxBytes; returns the verdict line otherwise. */
export function checkFlashBudget(model: FirmwareModel, version: CrdpVersion, maxBytes: number): string {
  const f = firmwareFootprint(model, version);
  if (f.total <= maxBytes) return `fits the flash budget: ${f.total.toLocaleString('en-US')} of ${maxBytes.toLocaleString('en-US')} bytes (${(maxBytes - f.total).toLocaleString('en-US')} to spare)`;
  const over = f.total - maxBytes;
  const n = (x: number): string => x.toLocaleString('en-US');
  const tokens = Math.ceil(over / f.perToken);
  const positions = Math.ceil(over / f.perPosition);
  const prunable = f.vocab - 257; // byte tokens and EOS always stay
  // the smallest the pruner can go: byte tokens + EOS, no merges, one position row
  const floor = crdpSize(model.config, 257, 1, version) + ctk2Size(257, 0, 256 + EOS_TEXT.length);
  const hints: string[] = [];
  if (floor > maxBytes) {
    hints.push(`pruning cannot get there (even 257 tokens and 1 position need ${n(floor)} bytes, mostly layer weights): the model itself is too big for this budget`);
  } else {
    if (tokens <= prunable) hints.push(`prune about ${n(tokens)} more tokens (raise --min-count, or give --prune-corpus; ${n(f.vocab)} tokens now, ~${f.perToken} bytes each)`);
    if (positions < f.positions) hints.push(`keep ${n(positions)} fewer position rows (--max-positions ${f.positions - positions}; ${f.perPosition} bytes each)`);
    if (hints.length === 0) hints.push('prune tokens and positions both (raise --min-count and lower --max-positions)');
  }
  throw new UsageError(
    `does not fit the flash budget: ${f.total.toLocaleString('en-US')} bytes (model ${f.modelBytes.toLocaleString('en-US')} + tokenizer ${f.tokenizerBytes.toLocaleString('en-US')}) > ${maxBytes.toLocaleString('en-US')}, over by ${over.toLocaleString('en-US')}: ${hints.join(', or ')}`,
  );
}

// `tinytalk convert <model> --to firmware|hf|gguf|onnx --out <path>`: re-quantize and export
// TinyTalk to the firmware (CRDP + CTK2 blobs, optional C sources, vocabulary pruning, flash
// budget), a Hugging Face GPT-Neo directory, a llama.cpp GGUF (as gpt2), or an ONNX folder for
// transformers.js.
import { Option, type Command } from 'commander';
import { UsageError } from '../../../core/errors.js';
import { integer, MODEL_REF } from '../options.js';

interface ConvertOptions {
  to: string;
  out: string;
  tokenizer?: string;
  version: '2' | '3';
  cSource?: boolean;
  pruneCorpus?: string[];
  minCount: number;
  maxPositions?: number;
  maxBytes?: number;
  dtype: string;
  quant: string;
  force?: boolean;
}

const FORMATS = ['firmware', 'hf', 'gguf', 'onnx'];
const DTYPES = ['F32', 'F16', 'BF16'];
const QUANTS = ['f32', 'f16', 'q8_0', 'q4_0'];

export function register(program: Command): void {
  program
    .command('convert')
    .description('export a model: firmware blobs (Q4_0, pruned vocabulary), a Hugging Face checkpoint, GGUF, or ONNX for transformers.js')
    .argument('<model>', MODEL_REF)
    .requiredOption('--to <format>', `output format: ${FORMATS.join(', ')}`)
    .requiredOption('--out <path>', 'output directory (firmware, hf, onnx) or file (gguf)')
    .option('--tokenizer <path>', 'tokenizer file to use instead of the one beside the model')
    .addOption(new Option('--version <n>', 'firmware: CRDP version, 2 or 3 (row-planar, newer firmware)').choices(['2', '3']).default('2'))
    .option('--c-source', 'firmware: also write model_data.cpp and tok_data.cpp for the firmware build')
    .option('--prune-corpus <files...>', 'keep only the tokens these texts use (plus byte tokens and EOS, closed under merges)')
    .option('--min-count <n>', 'with --prune-corpus: least uses for a token to stay', integer(1), 3)
    .option('--max-positions <n>', 'position rows to keep (firmware default: up to the attention window)', integer(1))
    .option('--max-bytes <n>', 'firmware: flash budget for both blobs; fails with what to change if exceeded', integer(1))
    .option('--dtype <type>', `hf: tensor type, ${DTYPES.join(', ')}; onnx: fp32 or fp16`, 'F32')
    .option('--quant <type>', `gguf: matrix type, ${QUANTS.join(', ')}; onnx: q8 or q4 (weight-only blocks)`, 'f32')
    .option('--force', 'replace an existing output')
    .action(async (ref: string, opts: ConvertOptions) => {
      if (!FORMATS.includes(opts.to)) throw new UsageError(`--to must be one of ${FORMATS.join(', ')}, got ${opts.to}`);
      const onnx = opts.to === 'onnx' ? onnxWeights(opts) : undefined; // checked before the model loads
      const { loadModel } = await import('../../load.js');
      const model = await loadModel(ref, { tokenizer: opts.tokenizer });
      const pruned = await prune(model, opts);
      if (opts.to === 'firmware') await toFirmware(pruned, opts);
      else if (opts.to === 'hf') await toHf(pruned, opts);
      else if (opts.to === 'gguf') await toGguf(pruned, opts);
      else await toOnnx(pruned, onnx!, opts);
    });
}

type Model = import('../../../core/neo/model.js').Model;

const num = (n: number): string => n.toLocaleString('en-US');

async function prune(model: Model, opts: ConvertOptions): Promise<Model> {
  const { readText } = await import('../../files.js');
  const { pruneModel } = await import('../../../core/export/prune.js');
  const P = model.weights.wpe.length / model.config.hiddenSize;
  let maxPositions = opts.maxPositions;
  if (maxPositions === undefined && opts.to === 'firmware' && model.config.attentionLayers.includes('local')) {
    maxPositions = Math.min(P, model.config.windowSize); // the firmware has no local attention
  }
  if (!opts.pruneCorpus && (maxPositions === undefined || maxPositions === P)) return model;
  const corpus = opts.pruneCorpus ? await Promise.all(opts.pruneCorpus.map((f) => readText(f))) : undefined;
  const r = pruneModel(model, { corpus, minCount: opts.minCount, maxPositions });
  const V = model.tokenizer.vocabSize;
  const kept = r.keptIds.length;
  if (corpus) process.stderr.write(`vocabulary: kept ${num(kept)} of ${num(V)} tokens (${num(r.addedByClosure)} of them only for merge ancestry)\n`);
  if (maxPositions !== undefined && maxPositions !== P) process.stderr.write(`positions: kept ${num(maxPositions)} of ${num(P)}\n`);
  if (opts.to === 'firmware') {
    const { firmwareFootprint } = await import('../../../core/export/firmware.js');
    const version = Number(opts.version) as 2 | 3;
    const saved = firmwareFootprint(model, version).total - firmwareFootprint(r.model, version).total;
    process.stderr.write(`pruning saves ${num(saved)} bytes of flash\n`);
  } else {
    const D = model.config.hiddenSize;
    process.stderr.write(`pruning saves ${num(((V - kept) * D + (P - (maxPositions ?? P)) * D) * 4)} float32 bytes of embeddings\n`);
  }
  return r.model;
}

async function toFirmware(model: Model, opts: ConvertOptions): Promise<void> {
  const version = Number(opts.version) as 2 | 3;
  const { firmwareFiles, firmwareFootprint, checkFlashBudget } = await import('../../../core/export/firmware.js');
  const { maxBytes } = opts;
  const verdict = maxBytes === undefined ? undefined : checkFlashBudget(model, version, maxBytes);
  const out = firmwareFiles(model, version, opts.cSource === true);
  const { mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { pathKind, writeFileAtomic } = await import('../../files.js');
  await mkdir(opts.out, { recursive: true });
  for (const name of out.files.keys()) {
    if (!opts.force && (await pathKind(join(opts.out, name))) !== undefined) throw new UsageError(`${join(opts.out, name)} already exists (use --force to replace it)`);
  }
  for (const [name, data] of out.files) await writeFileAtomic(join(opts.out, name), data);
  const f = firmwareFootprint(model, version);
  process.stdout.write(
    `wrote ${[...out.files.keys()].map((n) => join(opts.out, n)).join(', ')}\n` +
      `CRDP v${version}: ${num(f.vocab)} tokens, ${num(f.positions)} positions, model ${num(out.modelBytes)} bytes + tokenizer ${num(out.tokenizerBytes)} bytes = ${num(out.modelBytes + out.tokenizerBytes)}\n` +
      (verdict ? `${verdict}\n` : ''),
  );
}

async function toHf(model: Model, opts: ConvertOptions): Promise<void> {
  const dtype = opts.dtype.toUpperCase();
  if (!DTYPES.includes(dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, got ${opts.dtype}`);
  const { hfCheckpointFiles } = await import('../../../core/export/hf.js');
  const { writeDirectoryAtomic } = await import('../../write-dir.js');
  const files = hfCheckpointFiles(model, { dtype: dtype as 'F32' | 'F16' | 'BF16' });
  await writeDirectoryAtomic(opts.out, files, { replace: opts.force });
  const bytes = [...files.values()].reduce((s, b) => s + b.length, 0);
  process.stdout.write(`wrote ${opts.out.replace(/[\\/]+$/, '')}/ (${[...files.keys()].join(', ')}; ${num(bytes)} bytes, ${dtype})\n`);
}

async function toGguf(model: Model, opts: ConvertOptions): Promise<void> {
  const quant = opts.quant.toLowerCase();
  if (!QUANTS.includes(quant)) throw new UsageError(`--quant must be one of ${QUANTS.join(', ')}, got ${opts.quant}`);
  const { writeGpt2Gguf } = await import('../../../core/formats/gguf-gpt2.js');
  const { pathKind, writeFileAtomic } = await import('../../files.js');
  if (!opts.force && (await pathKind(opts.out)) !== undefined) throw new UsageError(`${opts.out} already exists (use --force to replace it)`);
  const bytes = writeGpt2Gguf({ config: model.config, weights: model.weights, vocab: model.tokenizer.vocab() }, quant as 'f32');
  const { mkdir } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await mkdir(dirname(opts.out), { recursive: true });
  await writeFileAtomic(opts.out, bytes);
  process.stdout.write(`wrote ${opts.out} (GGUF v3, gpt2 architecture, ${quant.toUpperCase()}, ${num(bytes.length)} bytes)\n`);
}

/** --dtype fp32|fp16 and --quant q8|q4 → the one ONNX variant they name. */
function onnxWeights(opts: ConvertOptions): 'fp32' | 'fp16' | 'q8' | 'q4' {
  const dtype = ({ f32: 'fp32', fp32: 'fp32', f16: 'fp16', fp16: 'fp16' } as const)[opts.dtype.toLowerCase()];
  if (!dtype) throw new UsageError(`--dtype must be fp32 or fp16 for onnx, got ${opts.dtype}`);
  const quant = opts.quant.toLowerCase();
  if (quant === 'f32') return dtype;
  const q = ({ q8: 'q8', q8_0: 'q8', q4: 'q4', q4_0: 'q4' } as const)[quant];
  if (!q) throw new UsageError(`--quant must be q8 or q4 for onnx, got ${opts.quant}`);
  if (dtype !== 'fp32') throw new UsageError(`--quant ${opts.quant} and --dtype ${opts.dtype} do not combine for onnx: pick one`);
  return q;
}

async function toOnnx(model: Model, weights: 'fp32' | 'fp16' | 'q8' | 'q4', opts: ConvertOptions): Promise<void> {
  const { onnxFolderFiles } = await import('../../../core/export/onnx/folder.js');
  const { writeDirectoryAtomic } = await import('../../write-dir.js');
  const files = onnxFolderFiles(model, weights);
  await writeDirectoryAtomic(opts.out, files, { replace: opts.force });
  const bytes = [...files.values()].reduce((s, b) => s + b.length, 0);
  process.stdout.write(`wrote ${opts.out}/ (${[...files.keys()].join(', ')}; ${num(bytes)} bytes, ${weights})\n`);
}

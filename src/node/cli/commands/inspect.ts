// `tinytalk inspect <model>`: what a model file holds — format, configuration, vocabulary,
// parameter count and every tensor as stored — as a table, or one JSON object with --json.
// The count is explained: where the parameters are, what the tied output layer and a GGUF's
// extra tensors add, and why TinyTalk's model card says 8.28M of a network this file holds
// pruned.
import type { Command } from 'commander';
import type { Model } from '../../../core/neo/model.js';
import { MODEL_REF, sourceOptions } from '../options.js';

interface InspectOptions {
  tokenizer?: string;
  revision?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('inspect')
    .description('show a model: format, configuration, vocabulary, parameters and tensors')
    .argument('<model>', MODEL_REF);
  sourceOptions(command)
    .option('--json', 'print one JSON object')
    .action(async (ref: string, opts: InspectOptions) => {
      const { loadModel } = await import('../../load.js');
      const model = await loadModel(ref, { tokenizer: opts.tokenizer, revision: opts.revision });
      const report = await inspectReport(model);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    });
}

/** The model card's count: TinyTalk before pruning, with GPT-2's whole vocabulary and its base model's 2,048 positions. */
const CARD = { vocab: 50_257, positions: 2_048, hidden: 128, layers: 8, mlp: 512 };

/** Where a GPT-Neo's parameters are (the output layer is the embedding, tied: counted once). */
async function parameterBreakdown(model: Model) {
  const { neoParameters } = await import('../../../core/neo/parameters.js');
  const { config: c, weights: w } = model;
  const count = (V: number, P: number) => {
    const sizes = { D: c.hiddenSize, F: c.intermediateSize, V, P };
    const parts = { embedding: 0, positions: 0, layers: 0, finalNorm: 0 };
    for (const p of neoParameters(c.numLayers)) {
      const n = p.shape(sizes).reduce((a, d) => a * d, 1);
      const part = p.layer !== undefined ? 'layers' : p.field === 'wte' ? 'embedding' : p.field === 'wpe' ? 'positions' : 'finalNorm';
      parts[part] += n;
    }
    return { ...parts, total: parts.embedding + parts.positions + parts.layers + parts.finalNorm };
  };
  const here = count(w.wte.rows, w.wpe.length / c.hiddenSize);
  const tinyTalk = c.hiddenSize === CARD.hidden && c.numLayers === CARD.layers && c.intermediateSize === CARD.mlp;
  return { ...here, modelCard: tinyTalk ? count(CARD.vocab, CARD.positions).total : undefined };
}

async function inspectReport(model: Model) {
  const { parameterCount } = await import('../../../core/neo/model.js');
  const { stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { source, config, tokenizer, tensors } = model;
  const weightsFile = source.format === 'hf' ? join(source.path, 'model.safetensors') : source.path;
  return {
    path: source.path,
    format: source.format,
    ...(source.version === undefined ? {} : { version: source.version }),
    architecture: 'GPT-Neo',
    vocabSize: config.vocabSize,
    tokenizer: { vocabSize: tokenizer.vocabSize, eosId: tokenizer.eosId, encoding: tokenizer.defaultMode },
    parameters: parameterCount(tensors),
    parameterBreakdown: await parameterBreakdown(model),
    totalBytes: tensors.reduce((sum, t) => sum + t.bytes, 0),
    fileBytes: (await stat(weightsFile)).size,
    config,
    generation: model.generation,
    rawConfig: model.rawConfig,
    tensors,
  };
}

type Report = Awaited<ReturnType<typeof inspectReport>>;

const FORMAT_NAMES: Record<string, string> = {
  hf: 'Hugging Face checkpoint directory',
  safetensors: 'safetensors file',
  crdp: 'CRDP firmware blob',
  gguf: 'GGUF file',
};

const num = (n: number): string => n.toLocaleString('en-US');

function table(rows: string[][], indent = '  '): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function value(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Lines under "parameters" saying where they are and why other counts differ. */
function explainParameters(r: Report): string[][] {
  const b = r.parameterBreakdown;
  const lines = [
    `embedding ${num(b.embedding)} (${num(b.embedding / r.config.hiddenSize)} tokens × ${r.config.hiddenSize}; the output layer shares it, tied, counted once)`,
    `positions ${num(b.positions)} (${num(b.positions / r.config.hiddenSize)} × ${r.config.hiddenSize}), ` +
      `${r.config.numLayers} layers ${num(b.layers)}, final norm ${num(b.finalNorm)}`,
  ];
  if (r.parameters !== b.total) {
    lines.push(`that is ${num(b.total)}; the file stores ${num(r.parameters - b.total)} more: ${r.format === 'gguf' ? "GGUF's gpt2 layout repeats the embedding as output.weight and adds q/k/v biases (zeros)" : 'tensors GPT-Neo does not need'}`);
  }
  if (b.modelCard !== undefined && b.modelCard !== b.total) {
    lines.push(`TinyTalk's model card counts ${num(b.modelCard)} (~${(b.modelCard / 1e6).toFixed(1)}M): GPT-2's whole 50,257-token vocabulary and 2,048 positions, before pruning for the firmware`);
  }
  return lines.map((l) => ['', l]);
}

function formatReport(r: Report): string {
  const head = [
    ['path', r.path],
    ['format', `${FORMAT_NAMES[r.format] ?? r.format}${'version' in r ? `, version ${r.version}` : ''}`],
    ['architecture', r.architecture],
    ['vocabulary', `${num(r.vocabSize)} tokens (tokenizer: ${num(r.tokenizer.vocabSize)}, EOS ${r.tokenizer.eosId}, ${r.tokenizer.encoding} encoding)`],
    ['parameters', num(r.parameters)],
    ...explainParameters(r),
    ['tensor bytes', num(r.totalBytes)],
    ['file bytes', num(r.fileBytes)],
  ];
  const section = (title: string, obj: object): string =>
    `\n${title}\n` + table(Object.entries(obj).map(([k, v]) => [k, value(v)]));
  const tensorRows = [
    ['name', 'shape', 'type', 'bytes'],
    ...r.tensors.map((t) => [t.name, `[${t.shape.join(', ')}]`, t.type, num(t.bytes)]),
    ['total', '', '', num(r.totalBytes)],
  ];
  return (
    table(head, '') +
    section('config', r.config) +
    section(r.format === 'crdp' ? 'header' : 'config.json', r.rawConfig) +
    section('generation defaults', r.generation) +
    `\ntensors (${r.tensors.length})\n` +
    table(tensorRows)
  );
}

// `tinytalk inspect <model>`: what a model file holds — format, configuration, vocabulary,
// parameter count and every tensor as stored — as a table, or one JSON object with --json.
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

function formatReport(r: Report): string {
  const head = [
    ['path', r.path],
    ['format', `${FORMAT_NAMES[r.format] ?? r.format}${'version' in r ? `, version ${r.version}` : ''}`],
    ['architecture', r.architecture],
    ['vocabulary', `${num(r.vocabSize)} tokens (tokenizer: ${num(r.tokenizer.vocabSize)}, EOS ${r.tokenizer.eosId}, ${r.tokenizer.encoding} encoding)`],
    ['parameters', num(r.parameters)],
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

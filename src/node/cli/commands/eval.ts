// `tinytalk eval --model <model> --data <file>`: cross-entropy and perplexity on held-out
// dialogue data, counting only the tokens the fine-tune trained on (bot replies, story bodies);
// `--compare` puts several models in one table, `--json` prints the numbers.
import type { Command } from 'commander';
import { UsageError } from '../../../core/errors.js';

interface EvalCliOptions {
  model: string;
  data: string;
  compare?: string[];
  tokenizer?: string;
  limit?: string;
  encoding: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('loss and perplexity on dialogue data (bot replies only, as the model was trained), and speed')
    .requiredOption('--model <model>', 'checkpoint directory, .safetensors, firmware blob, .gguf or hub id')
    .requiredOption('--data <file>', 'data in the training format (User:/Bot: lines, <|endoftext|> after each reply), .jsonl or .csv')
    .option('--compare <models...>', 'more models to evaluate on the same data, in one table')
    .option('--tokenizer <path>', 'tokenizer file to use instead of the one beside --model')
    .option('--limit <n>', 'evaluate only the first n samples')
    .option('--encoding <mode>', 'tokenizer encoding: gpt2 (as the fine-tune did) or device', 'gpt2')
    .option('--json', 'print {"loss", "perplexity", "tokens", "samples"} (a list with --compare)')
    .action(async (opts: EvalCliOptions) => {
      if (opts.encoding !== 'gpt2' && opts.encoding !== 'device') throw new UsageError(`--encoding must be gpt2 or device, got ${opts.encoding}`);
      const { readText } = await import('../../files.js');
      const { parseData } = await import('../../../core/train/data.js');
      const { evaluate } = await import('../../../core/eval/evaluate.js');
      const { Transformer } = await import('../../../core/model/transformer.js');
      const { loadModel } = await import('../../load.js');
      const parsed = parseData(await readText(opts.data), opts.data);
      let samples = parsed.samples;
      if (opts.limit !== undefined) {
        const n = Number(opts.limit);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit must be a positive integer, got ${opts.limit}`);
        samples = samples.slice(0, n);
      }
      if (samples.length === 0) throw new UsageError(`${opts.data}: no samples to evaluate`);
      const refs = [opts.model, ...(opts.compare ?? [])];
      const rows = [];
      for (const [i, ref] of refs.entries()) {
        const model = await loadModel(ref, { tokenizer: i === 0 ? opts.tokenizer : undefined });
        const r = evaluate(new Transformer(model), model.tokenizer, samples, { mode: opts.encoding as 'gpt2' | 'device' });
        rows.push({ model: ref, format: formatName(model.source.format, model.weights.wte.type), ...r });
      }
      if (opts.json) {
        const out = rows.map(({ model, format, loss, perplexity, tokens, samples: n, tokensPerSecond }) => ({ model, format, loss, perplexity, tokens, samples: n, tokensPerSecond }));
        process.stdout.write(`${JSON.stringify(refs.length === 1 ? out[0] : out, null, 2)}\n`);
        return;
      }
      const table = [
        ['model', 'weights', 'loss', 'perplexity', 'tokens', 'samples', 'tokens/s'],
        ...rows.map((r) => [r.model, r.format, r.loss.toFixed(4), r.perplexity.toFixed(3), String(r.tokens), String(r.samples), r.tokensPerSecond.toFixed(0)]),
      ];
      const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
      const line = (row: string[]) => row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
      process.stdout.write(`${[line(table[0]!), ...table.slice(1).map(line)].join('\n')}\n`);
      const skipped = Object.entries(parsed.skipped);
      if (skipped.length > 0) process.stderr.write(`skipped: ${skipped.map(([why, n]) => `${n} × ${why}`).join(', ')}\n`);
    });
}

function formatName(format: string, matrix: string): string {
  return `${format} ${matrix}`;
}

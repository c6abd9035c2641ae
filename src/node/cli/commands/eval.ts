// `tinytalk eval --model <model> --data <file>`: cross-entropy and perplexity on held-out
// dialogue data, counting only the tokens the fine-tune trained on (bot replies, story bodies);
// `--compare` puts several models in one table, `--json` prints the numbers; `--firmware` scores
// with the device's arithmetic (core/eval/firmware.ts).
import { Option, type Command } from 'commander';
import type { RowRange } from '../../../core/train/rows.js';
import { firmwareOptions, integer, MODEL_REF, rowRange, startThreads, threadsOption } from '../options.js';

interface EvalCliOptions {
  model: string;
  data: string;
  compare?: string[];
  tokenizer?: string;
  limit?: number;
  rows?: RowRange;
  botSpeaker: string;
  encoding: 'gpt2' | 'device';
  threads: number;
  json?: boolean;
  firmware?: boolean;
  firmwareVersion?: 2 | 3;
  fma?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('eval')
    .description('loss and perplexity on dialogue data (bot replies only, as the model was trained), and speed')
    .requiredOption('--model <model>', MODEL_REF)
    .requiredOption('--data <file>', 'data in the training format (User:/Bot: lines, <|endoftext|> after each reply), .jsonl or .csv')
    .option('--compare <models...>', 'more models to evaluate on the same data, in one table')
    .option('--tokenizer <path>', 'tokenizer file to use instead of the one beside --model')
    .option('--rows <from:to>', 'only these conversations of --data (CSV rows, JSONL lines or text records, 0-based, "to" excluded)', rowRange)
    .option('--bot-speaker <name>', 'CSV: the speaker whose lines are the bot', 'User 2')
    .option('--limit <n>', 'evaluate only the first n samples', integer(1))
    .addOption(new Option('--encoding <mode>', 'tokenizer encoding: gpt2 (as the fine-tune did) or device').choices(['gpt2', 'device']).default('gpt2'))
    .option('--firmware', 'score with the firmware\'s arithmetic (v2 or v3, as the blob says; other models as their blob would store them) in its KV window: longer samples are cut into window-sized blocks')
    .option('--json', 'print {"model", "format", "loss", "perplexity", "tokens", "samples", "chats", "stories", "tokens_per_second"} (a list with --compare)');
  firmwareOptions(command);
  threadsOption(command)
    .action(async (opts: EvalCliOptions) => {
      const { readText } = await import('../../files.js');
      const { parseData } = await import('../../../core/train/data.js');
      const { evaluate } = await import('../../../core/eval/evaluate.js');
      const { Transformer } = await import('../../../core/model/transformer.js');
      const { loadModel } = await import('../../load.js');
      const { UsageError } = await import('../../../core/errors.js');
      const { deviceEngine } = await import('../../../core/eval/firmware.js');
      const { firmwareVersionOf } = await import('../../../core/firmware/select.js');
      if (!opts.firmware && (opts.firmwareVersion !== undefined || opts.fma)) throw new UsageError('--firmware-version and --fma choose the firmware arithmetic: add --firmware');
      const parsed = parseData(await readText(opts.data), opts.data, { rows: opts.rows, botSpeaker: opts.botSpeaker });
      const samples = parsed.samples.slice(0, opts.limit);
      if (samples.length === 0) {
        const { noSamplesError } = await import('../../../core/train/data.js');
        throw noSamplesError(opts.data, parsed);
      }
      // what is scored: a chat's bot replies, a story's text after "Story:"
      const chats = samples.filter((s) => s.kind === 'chat').length;
      const stories = samples.length - chats;
      const refs = [opts.model, ...(opts.compare ?? [])];
      const rows = [];
      const closeThreads = await startThreads(opts.threads);
      for (const [i, ref] of refs.entries()) {
        const model = await loadModel(ref, { tokenizer: i === 0 ? opts.tokenizer : undefined });
        const { firmwareVersion, fma } = opts;
        const engine = opts.firmware ? deviceEngine(model, { firmwareVersion, fma }) : new Transformer(model);
        const r = evaluate(engine, model.tokenizer, samples, { mode: opts.encoding });
        const format = opts.firmware
          ? `firmware v${firmwareVersionOf(model, firmwareVersion)}${fma ? ' fma' : ''}, window ${engine.context}`
          : formatName(model.source.format, model.weights.wte.type);
        rows.push({ model: ref, format, ...r });
      }
      await closeThreads();
      if (opts.json) {
        const out = rows.map(({ model, format, loss, perplexity, tokens, samples: n, tokensPerSecond }) => ({
          model, format, loss, perplexity, tokens, samples: n, chats, stories, tokens_per_second: tokensPerSecond,
        }));
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
      const scored = [chats > 0 ? `the bot replies of ${chats} chat${chats === 1 ? '' : 's'}` : '', stories > 0 ? `the story text of ${stories} stor${stories === 1 ? 'y' : 'ies'}` : ''];
      process.stderr.write(`scored: ${scored.filter(Boolean).join(' and ')}\n`);
      const skipped = Object.entries(parsed.skipped);
      if (skipped.length > 0) process.stderr.write(`skipped: ${skipped.map(([why, n]) => `${n} × ${why}`).join(', ')}\n`);
    });
}

function formatName(format: string, matrix: string): string {
  return `${format} ${matrix}`;
}

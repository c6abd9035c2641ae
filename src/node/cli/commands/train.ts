// `tinytalk train`: fine-tune a model on dialogues (loss on the bot's replies only), on the CPU.
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { TRAIN_DEFAULTS as D } from '../../../core/train/loop.js';
import type { TrainOptions } from '../../train/trainer.js';
import { decimal, DEFAULT_MODEL, integer, rowRange } from '../options.js';

/** Commander's parse: the trainer's options, some still optional, plus what the command itself handles. */
type TrainCliOptions = Omit<TrainOptions, 'data' | 'out' | 'resume' | 'fromScratch' | 'force' | 'exports'> & {
  data?: string;
  out?: string;
  resume?: boolean;
  fromScratch?: boolean;
  force?: boolean;
  exportFirmware?: string;
  exportGguf?: string;
  ggufType: 'f32' | 'f16' | 'q8_0' | 'q4_0';
  benchmark?: number;
  json?: boolean;
};

export function register(program: Command): void {
  program
    .command('train')
    .description("fine-tune a model on your dialogues (loss on the bot's replies, as TinyTalk was trained)")
    .option('--model <model>', 'starting model: checkpoint directory, .safetensors, firmware .bin or .gguf (dequantized), or hub id', DEFAULT_MODEL)
    .option('--data <file>', 'training data: training text (User:/Bot: lines), .jsonl {"messages": [...]} or .csv conversations')
    .option('--val-data <file>', 'validation data (default: every 20th training sample is held out)')
    .option('--rows <from:to>', 'only these conversations of --data (CSV rows, JSONL lines or text records, 0-based, "to" excluded)', rowRange)
    .option('--val-rows <from:to>', 'only these conversations of --val-data (of --data when no --val-data is given)', rowRange)
    .option('--bot-speaker <name>', 'CSV: the speaker whose lines are the bot', 'User 2')
    .option('--out <dir>', 'output directory: model/ checkpoint, metrics.jsonl, loss-curve.svg')
    .option('--steps <n>', 'optimizer steps (default: from --epochs); with --resume, a larger number trains a run further', integer(1))
    .option('--epochs <n>', 'passes over the training blocks when --steps is not given', decimal(0), D.epochs)
    .option('--lr <lr>', 'peak learning rate', decimal(0), D.lr)
    .option('--batch <n>', 'sequences per micro-batch', integer(1), D.batch)
    .option('--accum <n>', 'micro-batches per optimizer step (gradient accumulation)', integer(1), D.accum)
    .option('--seq-len <n>', 'tokens per sequence', integer(2), D.seqLen)
    .option('--threads <n>', 'training threads', integer(1), Math.max(1, availableParallelism()))
    .option('--resume', 'continue the run in --out exactly where it stopped')
    .option('--force', 'replace a run already in --out, and existing --export-firmware/--export-gguf files')
    .option('--seed <n>', 'seed for the data order (and --from-scratch weights)', integer(0), D.seed)
    .option('--warmup <n>', 'warm-up steps (default: 200, or a tenth of runs under 2,000 steps)', integer(0))
    .option('--weight-decay <wd>', 'AdamW decoupled weight decay', decimal(0), D.weightDecay)
    .option('--clip <norm>', 'gradient-norm clipping', decimal(0), D.clip)
    .option('--val-every <n>', 'validation loss every n steps', integer(1), D.valEvery)
    .option('--save-every <n>', 'checkpoint every n steps', integer(1), D.saveEvery)
    .option('--val-fraction <f>', 'share of samples held out when no --val-data', decimal(0.001), D.valFraction)
    .option('--val-blocks <n>', 'most validation sequences evaluated', integer(1), D.valBlocks)
    .option('--from-scratch', "start from random weights of the model's config (keeps its tokenizer)")
    .option('--export-firmware <dir>', 'at the end, write the firmware blobs (Q4 model + tokenizer) into dir')
    .option('--export-gguf <file>', 'at the end, write a GGUF file')
    .addOption(new Option('--gguf-type <type>', 'GGUF matrix type').choices(['f32', 'f16', 'q8_0', 'q4_0']).default('q8_0'))
    .addOption(new Option('--qat <mode>', "quantization-aware training: q4 trains through the firmware blob's Q4_0 weights (float32 master weights, straight-through gradients); default q4 with --export-firmware, else none").choices(['q4', 'none']))
    .addOption(new Option('--q4-quantizer <rule>', "Q4_0 block scales for --qat q4 and --export-firmware: max (the converter's) or mse (least squared error per block)").choices(['max', 'mse']).default('max'))
    .option('--benchmark <steps>', 'measure training tokens per second on random data (no --data/--out needed)', integer(1))
    .option('--json', 'last line: {"val_loss_before", "val_loss_after", "qat", "train_tokens_per_second", "steps"}, plus the exports\' validation losses')
    .action(async (o: TrainCliOptions, cmd: Command) => {
      const { UsageError } = await import('../../../core/errors.js');
      if (o.benchmark) {
        const { benchmarkTraining } = await import('../../train/bench.js');
        const r = await benchmarkTraining(o.model, { steps: o.benchmark, batch: o.batch, seqLen: o.seqLen, threads: o.threads });
        process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `training: ${r.train_tokens_per_second.toFixed(0)} tokens/s, ${r.train_tokens_per_cpu_second.toFixed(0)} per CPU-second, peak RSS ${r.peak_rss_mb} MB (${r.threads} thread${r.threads === 1 ? '' : 's'}, batch ${r.batch} × ${r.seq_len} tokens, ${r.steps} steps)\n`);
        return;
      }
      if (!o.data) throw new UsageError('train: --data <file> is required');
      if (!o.out) throw new UsageError('train: --out <dir> is required');
      const { checkExportTargets } = await import('../../train/export.js');
      await checkExportTargets({ firmware: o.exportFirmware, gguf: o.exportGguf }, Boolean(o.force));
      const { train } = await import('../../train/trainer.js');
      const { progressReporter } = await import('../../train/progress.js');
      const { exportSummary } = await import('../../train/summary.js');
      const reporter = progressReporter(!o.json);
      const qat = o.qat ?? (o.exportFirmware !== undefined ? 'q4' : 'none');
      const exports = o.exportFirmware || o.exportGguf ? { firmware: o.exportFirmware, gguf: o.exportGguf, ggufType: o.ggufType } : undefined;
      const r = await train(
        {
          ...o, qat, data: o.data, out: o.out, resume: Boolean(o.resume), fromScratch: Boolean(o.fromScratch), force: Boolean(o.force), exports,
          given: new Set(Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli')),
        },
        reporter.events,
      );
      reporter.stop();
      const say = (s: string) => process.stderr.write(`${s}\n`);
      if (r.complete) {
        say(`the run in ${o.out} is already complete (${r.steps} of ${r.steps} steps): nothing to train. ` +
          `To train it further, resume with a larger --steps, e.g. --steps ${2 * r.steps}`);
      }
      const summary = exportSummary(r, o.qat === undefined && r.qat === 'q4' ? ', the default with --export-firmware' : '');
      for (const line of summary.lines) say(line);
      if (!r.complete) say(`training: ${r.trainTokensPerSecond.toFixed(0)} tokens/s; checkpoint: ${r.checkpoint}`);
      if (r.exports.firmware) say(`firmware: ${r.exports.firmware.paths.join(', ')}`);
      if (r.exports.gguf) say(`gguf: ${r.exports.gguf.path}`);
      for (const w of summary.warnings) say(`warning: ${w}`);
      if (o.json) process.stdout.write(`${JSON.stringify(summary.json)}\n`);
    });
}

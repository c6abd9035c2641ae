// `tinytalk bench`: how fast tinytalk runs a model — decode and prompt tokens/s, load time, time
// from process start to the first token, peak memory — as a table, or one JSON object (--json).
import { Option, type Command } from 'commander';
import { firmwareOptions, integer } from '../options.js';

interface BenchCliOptions {
  model: string[];
  threads: number;
  runs: number;
  mode: 'reference' | 'firmware';
  firmwareVersion?: 2 | 3;
  fma?: boolean;
  weights: 'stored' | 'float32';
  json?: boolean;
  probe?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('bench')
    .description('measure speed and memory: decode and prompt tokens/s, load time, first token, peak RSS')
    .addOption(
      new Option('--model <model>', 'model to measure, repeatable')
        .argParser((v: string, all: string[]) => [...all, v])
        .default([], `${DEFAULT_MODELS.reference.join(' and ')}; --mode firmware: ${DEFAULT_MODELS.firmware.join(' and ')}`),
    )
    .option('--threads <n>', 'threads for the matrix products', integer(1), 1)
    .option('--runs <n>', 'runs per measurement (the median is reported)', integer(1), 5)
    .addOption(new Option('--mode <mode>', 'engine').choices(['reference', 'firmware']).default('reference'))
    .addOption(new Option('--weights <layout>', 'stored: matrices as the file stores them, as chat and generate run them; float32: their exact float32 values as well (more memory; the products read float32 panels either way)').choices(['stored', 'float32']).default('stored'))
    .option('--json', 'print one JSON object')
    .addOption(new Option('--probe').hideHelp());
  firmwareOptions(command)
    .action(async (opts: BenchCliOptions) => {
      const { startKernelThreads } = await import('../../threads/pool.js');
      const { benchModel, runProbe } = await import('../../bench/measure.js');
      if (opts.mode !== 'firmware' && (opts.firmwareVersion !== undefined || opts.fma)) {
        const { UsageError } = await import('../../../core/errors.js');
        throw new UsageError('--firmware-version and --fma measure firmware arithmetic: add --mode firmware');
      }
      const threads = await startKernelThreads(opts.threads);
      const o = { threads: threads.threads, runs: opts.runs, mode: opts.mode, weights: opts.weights, firmwareVersion: opts.firmwareVersion, fma: opts.fma };
      if (opts.probe) {
        await runProbe(opts.model[0]!, o);
        return;
      }
      const models = opts.model.length > 0 ? opts.model : await defaultModels(opts.mode);
      const results = [];
      for (const ref of models) results.push(await benchModel(ref, o));
      await threads.close();
      const { cpus } = await import('node:os');
      const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
      if (opts.json) {
        const out = results.length === 1 ? { ...results[0], machine } : { ...results[0], results, machine };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else process.stdout.write(formatTable(results, machine));
    });
}

/**
 * In ../shared beside the project (paths from the current folder, like every path): the shipped
 * Q4 blob and the float32 stand-in; in firmware mode the v2 and the v3 blob, side by side (each in
 * its own firmware's arithmetic).
 */
const DEFAULT_MODELS = {
  reference: ['../shared/models/tinytalk-q4/model_neo_q4.bin', '../shared/hub/TheREZOR/TinyTalk'],
  firmware: ['../shared/models/tinytalk-q4/model_neo_q4.bin', '../shared/models/tinytalk-q4-v3/TINYTLK.BIN'],
};

async function defaultModels(mode: BenchCliOptions['mode']): Promise<string[]> {
  const { existsSync } = await import('node:fs');
  const models = DEFAULT_MODELS[mode];
  const { UsageError } = await import('../../../core/errors.js');
  const missing = models.filter((m) => !existsSync(m));
  if (missing.length > 0) throw new UsageError(`no --model given, and the default ${missing.join(' and ')} (from the current folder) ${missing.length === 1 ? 'is' : 'are'} not there: give --model`);
  return models;
}

function formatTable(results: ReadonlyArray<object>, machine: { cpu: string; cores: number; node: string }): string {
  const cols: Array<[string, string]> = [
    ['model', 'model'],
    ['mode', 'mode'],
    ['firmware_version', 'firmware'],
    ['weights', 'weights'],
    ['threads', 'threads'],
    ['decode_tokens_per_second', 'decode tok/s'],
    ['prefill_tokens_per_second', 'prompt tok/s'],
    ['load_ms', 'load ms'],
    ['first_token_ms', 'first token ms'],
    ['peak_rss_mb', 'peak RSS MB'],
    ['decode_tokens_per_cpu_second', 'decode tok/CPU-s'],
    ['prefill_tokens_per_cpu_second', 'prompt tok/CPU-s'],
    ['first_token_cpu_ms', 'first token CPU ms'],
  ];
  const rows = [cols.map(([, h]) => h), ...results.map((r) => cols.map(([k]) => String((r as Record<string, unknown>)[k] ?? '-')))];
  const widths = cols.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `${[line(rows[0]!), ...rows.slice(1).map(line)].join('\n')}\n(${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; medians of ${String((results[0] as { runs?: number } | undefined)?.runs)} runs; CPU-s: user + sys of all threads)\n`;
}

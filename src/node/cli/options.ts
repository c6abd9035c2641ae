// Option parsers and option groups several commands share, so a flag reads, checks and explains
// itself the same way in every command.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseRowRange, type RowRange } from '../../core/train/rows.js';

/** Commander parser: an integer from min to max. */
export const integer = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max !== Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min !== Number.MIN_SAFE_INTEGER ? ` >= ${min}` : '';
    throw new InvalidArgumentError(`expected an integer${range}`);
  }
  return n;
};

/** Commander parser: a finite number ≥ min. */
export const decimal = (min = -Infinity) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new InvalidArgumentError(min === -Infinity ? 'expected a number' : `expected a number >= ${min}`);
  }
  return n;
};

/** Commander parser: a record range FROM:TO of a data file (--rows). */
export const rowRange = (value: string): RowRange => {
  try {
    return parseRowRange(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

export const DEFAULT_MODEL = 'TheREZOR/TinyTalk';

/** What a model reference may be, for help texts. */
export const MODEL_REF = 'checkpoint directory, .safetensors, firmware .bin, .gguf or hub id owner/name[@revision]';

/** --tokenizer and --revision: which tokenizer, and which revision of a hub model. */
export function sourceOptions(command: Command): Command {
  return command
    .option('--tokenizer <path>', 'tokenizer to use instead of the one beside the model (CTK2 blob, tokenizer.json, vocab.json)')
    .option('--revision <rev>', 'hub revision (branch, tag or commit)');
}

/** --model (default the hub's TinyTalk), --tokenizer and --revision: where the model comes from. */
export function modelOptions(command: Command): Command {
  return sourceOptions(command.option('--model <model>', MODEL_REF, DEFAULT_MODEL));
}

/** Commander parser: 2 or 3. */
const firmwareVersion = (value: string): 2 | 3 => {
  if (value !== '2' && value !== '3') throw new InvalidArgumentError('expected 2 or 3');
  return value === '2' ? 2 : 3;
};

/** --firmware-version and --fma: which firmware arithmetic firmware mode reproduces. */
export function firmwareOptions(command: Command): Command {
  return command
    .option('--firmware-version <n>', 'firmware mode: compute as the v2 or v3 firmware whatever the blob\'s version (default: the blob\'s)', firmwareVersion)
    .option('--fma', 'firmware v3: fused multiply-adds, as the ESP32 build computes (default: the host build\'s separate roundings)');
}

/** --threads: threads splitting the large matrix products (prompt passes, the classifier, batches). */
export function threadsOption(command: Command, what = 'threads splitting the large matrix products (prompt passes, the classifier)'): Command {
  return command.addOption(new Option('--threads <n>', what).argParser(integer(1)).default(1));
}

/**
 * Starts the kernel worker threads (none for 1) and returns their closer. Loaded lazily: a
 * one-thread run never starts the pool's module.
 */
export async function startThreads(threads: number): Promise<() => Promise<void>> {
  if (threads === 1) return async () => {};
  const { startKernelThreads } = await import('../threads/pool.js');
  return (await startKernelThreads(threads)).close;
}

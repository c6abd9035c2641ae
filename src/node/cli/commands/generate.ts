// `tinytalk generate`: continue a prompt, streaming the text (or one JSON object with --json),
// in float32 reference mode or reproducing the firmware (--firmware).
import { Option, type Command } from 'commander';
import { FIRMWARE_CONTEXT, FIRMWARE_TEMPERATURE, FIRMWARE_V3_TOP_P } from '../../../core/firmware/settings.js';
import type { GenerateOptions } from '../../../core/generate/generate.js';
import { MODEL_CARD_DEFAULTS as card } from '../../../core/neo/config.js';
import { decimal, firmwareOptions, integer, modelOptions, startThreads, threadsOption } from '../options.js';

/** Commander's parse: generate()'s options as flags, plus where the model comes from. */
type GenerateCliOptions = Pick<GenerateOptions, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'minP' | 'repetitionPenalty' | 'firmware' | 'context'> & {
  model: string;
  prompt: string;
  tokenizer?: string;
  revision?: string;
  seed?: number;
  firmwareVersion?: 2 | 3;
  fma?: boolean;
  stop?: string[];
  threads: number;
  json?: boolean;
};

export function register(program: Command): void {
  const command = program
    .command('generate')
    .description('continue a prompt with the model, streaming the text')
    .requiredOption('--prompt <text>', 'the prompt (a literal <|endoftext|> is the EOS token)');
  modelOptions(command)
    .option('--max-tokens <n>', `new tokens at most (default: the model's, ${card.maxNewTokens})`, integer(0))
    .option('--temperature <t>', `0 = greedy (default: the model's, ${card.temperature}; --firmware: the device's, ${FIRMWARE_TEMPERATURE})`, decimal(0))
    .option('--top-k <k>', `sample among the k most likely tokens, 0 = all (default: the model's, ${card.topK})`, integer(0))
    .option('--top-p <p>', `nucleus sampling threshold (default: the model's, ${card.topP}; v3 firmware: its ${FIRMWARE_V3_TOP_P})`, decimal(0))
    .option('--min-p <p>', 'drop tokens below p × the most likely one (default 0)', decimal(0))
    .option('--repetition-penalty <r>', `penalize tokens already seen, 1 = off (default: the model's, ${card.repetitionPenalty})`, decimal(0))
    .option('--seed <s>', 'random seed for reproducible sampling (default random)', integer(0))
    .option('--firmware', 'reproduce the firmware exactly (v2 or v3, as the blob says): device encoding, its arithmetic, KV cache, window and sampler')
    .option('--context <n>', `positions for prompt + output (firmware: KV window, default ${FIRMWARE_CONTEXT}; v3 above dim 128: 72)`, integer())
    .addOption(new Option('--stop <s...>', 'stop before any of these strings'))
    .option('--json', 'print one JSON object with ids, text, finish reason and timings');
  firmwareOptions(command);
  threadsOption(command)
    .action(async (o: GenerateCliOptions) => {
      const { loadModel } = await import('../../load.js');
      const { generateStream } = await import('../../../core/generate/generate.js');
      const model = await loadModel(o.model, { tokenizer: o.tokenizer, revision: o.revision });
      const closeThreads = await startThreads(o.threads);
      const controller = new AbortController();
      const onSigint = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      const { maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, firmware, context, stop } = o;
      const stream = generateStream(model, o.prompt, {
        maxTokens, temperature, topK, topP, minP, repetitionPenalty, seed, firmware, firmwareVersion: o.firmwareVersion, fma: o.fma, context, stop, signal: controller.signal,
      });
      let res;
      try {
        let r = await stream.next();
        while (!r.done) {
          if (!o.json && r.value.text) process.stdout.write(r.value.text);
          r = await stream.next();
        }
        res = r.value;
      } catch (err) {
        if (!controller.signal.aborted) throw err;
        process.stdout.write('\n');
        process.exitCode = 130; // interrupted with Ctrl-C: what was printed stays
        return;
      } finally {
        process.off('SIGINT', onSigint);
        await closeThreads();
      }
      if (!o.json) {
        process.stdout.write('\n');
        return;
      }
      const t = res.timings;
      const out = {
        prompt_ids: res.promptIds,
        ids: res.ids,
        text: res.text,
        finish_reason: res.finishReason,
        ...(res.slides.length > 0 ? { slides: res.slides } : {}),
        timings: { prompt_ms: t.promptMs, gen_ms: t.genMs, tokens_per_second: t.tokensPerSecond },
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    });
}

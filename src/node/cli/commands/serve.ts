// `tinytalk serve`: the OpenAI-compatible HTTP API and the chat page, bound to loopback by default.
import type { Command } from 'commander';
import { UsageError } from '../../../core/errors.js';

interface ServeOptions {
  model: string;
  tokenizer?: string;
  revision?: string;
  host: string;
  port: string;
  apiKey?: string;
  maxBatch: string;
  maxQueue: string;
  maxBody: string;
  maxTokens: string;
  threads: string;
}

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${option}: expected a non-negative integer, got ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models) and a chat page at /')
    .option('--model <model>', 'checkpoint directory, .safetensors, firmware .bin or hub id', 'TheREZOR/TinyTalk')
    .option('--tokenizer <path>', 'tokenizer to use instead of the one beside the model')
    .option('--revision <rev>', 'hub revision (branch, tag or commit)')
    .option('--host <host>', 'address to listen on (0.0.0.0 exposes the server to the network)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--api-key <key>', 'require `Authorization: Bearer <key>` on /v1/* (default: TINYTALK_API_KEY, else none)')
    .option('--max-batch <n>', 'sequences decoded together in one forward pass', '32')
    .option('--max-queue <n>', 'requests that may wait for a slot before 429', '256')
    .option('--max-body <bytes>', 'largest request body', String(1 << 20))
    .option('--max-tokens <n>', 'largest max_tokens a request may ask for', '1024')
    .option('--threads <n>', 'threads splitting the matrix products of each forward pass (batched decoding gains most)', '1')
    .action(async (options: ServeOptions) => {
      const { loadModel } = await import('../../load.js');
      const { servedModel } = await import('../../server/model.js');
      const { startServer } = await import('../../server/server.js');
      const { fileURLToPath } = await import('node:url');
      const threadCount = positiveInt(options.threads, '--threads');
      const maxBatch = positiveInt(options.maxBatch, '--max-batch');
      const model = await loadModel(options.model, { tokenizer: options.tokenizer, revision: options.revision });
      const { startKernelThreads } = await import('../../threads/pool.js');
      const threads = await startKernelThreads(Math.max(1, threadCount));
      // A path is shown by its name (model_neo_q4, TinyTalk); a hub id as it is.
      const { basename, extname } = await import('node:path');
      const { pathKind } = await import('../../files.js');
      const id = (await pathKind(options.model)) ? basename(options.model, extname(options.model)) : options.model;
      const served = await servedModel(model, { id, tokenizer: options.tokenizer, maxBatch });
      const running = await startServer(served, {
        host: options.host,
        port: positiveInt(options.port, '--port'),
        apiKey: options.apiKey ?? process.env.TINYTALK_API_KEY,
        webDir: fileURLToPath(new URL('../../../web', import.meta.url)),
        maxBatch,
        maxQueue: positiveInt(options.maxQueue, '--max-queue'),
        maxBodyBytes: positiveInt(options.maxBody, '--max-body'),
        maxTokensLimit: positiveInt(options.maxTokens, '--max-tokens'),
        maxPromptTokens: served.engine.context - 1,
      });
      process.stdout.write(`tinytalk: serving ${served.id} at ${running.url} (chat page at ${running.url}/, API at ${running.url}/v1)\n`);
      const stop = () => void running.close().then(threads.close).then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

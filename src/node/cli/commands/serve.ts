// `tinytalk serve`: the OpenAI-compatible HTTP API and the chat page, bound to loopback by default.
import type { Command } from 'commander';
import { DEFAULT_SERVER_OPTIONS as defaults } from '../../server/options.js';
import { integer, modelOptions, startThreads, threadsOption } from '../options.js';

interface ServeOptions {
  model: string;
  tokenizer?: string;
  revision?: string;
  host: string;
  port: number;
  apiKey?: string;
  maxBatch: number;
  maxQueue: number;
  maxBody: number;
  maxTokens: number;
  threads: number;
}

export function register(program: Command): void {
  const command = program
    .command('serve')
    .description('serve an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models) and a chat page at /');
  modelOptions(command)
    .option('--host <host>', 'address to listen on (0.0.0.0 exposes the server to the network)', defaults.host)
    .option('--port <port>', 'port (0 picks a free one)', integer(0, 65535), defaults.port)
    .option('--api-key <key>', 'require `Authorization: Bearer <key>` on /v1/* (default: TINYTALK_API_KEY, else none)')
    .option('--max-batch <n>', 'sequences decoded together in one forward pass', integer(1), defaults.maxBatch)
    .option('--max-queue <n>', 'requests that may wait for a slot before 429', integer(0), defaults.maxQueue)
    .option('--max-body <bytes>', 'largest request body', integer(1), defaults.maxBodyBytes)
    .option('--max-tokens <n>', 'largest max_tokens a request may ask for', integer(1), defaults.maxTokensLimit);
  threadsOption(command, 'threads splitting the matrix products of each forward pass (batched decoding gains most)')
    .action(async (options: ServeOptions) => {
      const { loadModel } = await import('../../load.js');
      const { servedModel } = await import('../../server/model.js');
      const { startServer } = await import('../../server/server.js');
      const { fileURLToPath } = await import('node:url');
      const { maxBatch } = options;
      const model = await loadModel(options.model, { tokenizer: options.tokenizer, revision: options.revision });
      const closeThreads = await startThreads(options.threads);
      // A path is shown by its name (model_neo_q4, TinyTalk); a hub id as it is.
      const { basename, extname } = await import('node:path');
      const { pathKind } = await import('../../files.js');
      const id = (await pathKind(options.model)) ? basename(options.model, extname(options.model)) : options.model;
      const served = await servedModel(model, { id, tokenizer: options.tokenizer, maxBatch });
      const running = await startServer(served, {
        host: options.host,
        port: options.port,
        apiKey: options.apiKey ?? process.env.TINYTALK_API_KEY,
        webDir: fileURLToPath(new URL('../../../web', import.meta.url)),
        maxBatch,
        maxQueue: options.maxQueue,
        maxBodyBytes: options.maxBody,
        maxTokensLimit: options.maxTokens,
        maxPromptTokens: served.engine.context - 1,
      });
      process.stdout.write(`serving ${served.id} at ${running.url} (chat page at ${running.url}/, API at ${running.url}/v1)\n`);
      const stop = () => void running.close().then(closeThreads).then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

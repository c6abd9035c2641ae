// Starts the server in-process on a free loopback port with one of the shared models.
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { servedModel } from '../../src/node/server/model.js';
import type { ServerOptions } from '../../src/node/server/options.js';
import { startServer, type RunningServer } from '../../src/node/server/server.js';
import { HF_STANDIN, ROOT, sharedJson } from '../helpers/shared.js';

export interface GoldenEntry {
  kind: string;
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  finish_reason: 'eos' | 'length' | 'context';
  text: string;
}

/** PyTorch float32 greedy decoding of the stand-in checkpoint (40 tokens at most), see golden/README.md. */
export const golden = (): GoldenEntry[] => sharedJson<{ entries: GoldenEntry[] }>('golden', 'hf_forward_f32.json').entries;

export async function serveShared(ref = HF_STANDIN(), options: Partial<ServerOptions> = {}, tokenizer?: string): Promise<RunningServer> {
  const model = await loadModel(ref, { tokenizer });
  const served = await servedModel(model, { id: 'tinytalk', tokenizer, maxBatch: options.maxBatch ?? 32 });
  return startServer(served, { port: 0, webDir: join(ROOT, 'dist', 'web'), maxPromptTokens: served.engine.context - 1, ...options });
}

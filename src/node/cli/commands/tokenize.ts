// `tinytalk tokenize`: the token ids a model's tokenizer gives a text (GPT-2 or device encoding).
import type { Command } from 'commander';
import { modelOptions } from '../options.js';

interface TokenizeOptions {
  model: string;
  tokenizer?: string;
  revision?: string;
  firmware?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('tokenize')
    .description("print the token ids of a text, as the model's tokenizer encodes it")
    .argument('<text>', 'the text (a literal <|endoftext|> becomes the EOS token)');
  modelOptions(command)
    .option('--firmware', "the device's encoding (no GPT-2 regex split, merges over the whole text)")
    .option('--json', 'print {"ids": [...], "pieces": [...]} instead of the ids')
    .action(async (text: string, options: TokenizeOptions) => {
      const { loadModel } = await import('../../load.js');
      const { tokenizer } = await loadModel(options.model, { tokenizer: options.tokenizer, revision: options.revision });
      const ids = tokenizer.encode(text, options.firmware ? { mode: 'device' } : {});
      if (!options.json) {
        process.stdout.write(`${ids.join(' ')}\n`);
        return;
      }
      const utf8 = new TextDecoder();
      const pieces = ids.map((id) => utf8.decode(tokenizer.piece(id)));
      process.stdout.write(`${JSON.stringify({ ids, pieces })}\n`);
    });
}

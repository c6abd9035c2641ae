// The `tinytalk` command: one subcommand per file in ./commands, registered here.
import { Command } from 'commander';
import { TinyTalkError } from '../../core/errors.js';

const program = new Command('tinytalk')
  .description('TinyTalk, the tiny GPT-Neo chatbot: chat, generate, train, convert, serve')
  .showHelpAfterError();

// Each command module exports `register(program)`.
const commands: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./commands/tokenize.js'),
  () => import('./commands/generate.js'),
  () => import('./commands/chat.js'),
  () => import('./commands/inspect.js'),
  () => import('./commands/serve.js'),
  () => import('./commands/convert.js'),
  () => import('./commands/eval.js'),
  () => import('./commands/train.js'),
  () => import('./commands/bench.js'),
];

for (const load of commands) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof TinyTalkError) {
    process.stderr.write(`tinytalk: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

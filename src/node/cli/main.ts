// The `tinytalk` command: one subcommand per file in ./commands, registered here, and the one
// place that turns errors into what the user sees (./failure.ts), for every command alike.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { exitWithNpx } from './exit-with-npx.js';
import { ERROR_PREFIX, failure } from './failure.js';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function fail(err: unknown): never {
  const { text, status } = failure(err);
  process.stderr.write(text);
  process.exit(status);
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
exitWithNpx();

const program = new Command('tinytalk')
  .description('TinyTalk, the tiny GPT-Neo chatbot: chat, generate, train, convert, serve')
  .version(version, '-v, --version', 'print the version')
  // program flags only before the command: `convert --version 3` is convert's own --version
  .enablePositionalOptions()
  // Commander's own errors (a bad flag value, an unknown option) get the same prefix as ours;
  // subcommands inherit this when they are created below.
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, ERROR_PREFIX)) })
  .showHelpAfterError('(tinytalk --help lists the commands)');

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
// After a mistake in a command's flags: the error line, then where its options are listed.
for (const command of program.commands) command.showHelpAfterError(`(tinytalk ${command.name()} --help lists its options)`);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}

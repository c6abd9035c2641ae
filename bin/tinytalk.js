#!/usr/bin/env node
// The `tinytalk` command. Its code is built into dist/ (shipped in the package; in a clone of the
// repository, `npm run build` makes it in a few seconds).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/node/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`tinytalk: not built yet (${fileURLToPath(main)} is missing): run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
await import(main.href);

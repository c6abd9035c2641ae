// Build what running tinytalk needs, in seconds and without type checking (`npm run types` checks
// and writes the declarations; `npm test` and `npm pack` run both): the WebAssembly kernels when
// kernels.as changed (scripts/build-kernels.mjs), the TypeScript of src/core and src/node as ES
// modules in dist/, and the chat page's bundle in dist/web.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildKernels } from './build-kernels.mjs';
import { buildWeb } from './build-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// A fresh dist/: files moved or removed in src must not linger there as importable modules.
rmSync(join(root, 'dist'), { recursive: true, force: true });
if (await buildKernels()) process.stdout.write('rebuilt src/core/kernels/generated/kernels-wasm.ts from kernels.as\n');
// File by file (no bundling): dist/ mirrors src/, as the package's "exports" expect.
const sources = readdirSync(join(root, 'src'), { recursive: true })
  .filter((f) => f.endsWith('.ts') && /^(core|node)[\\/]/.test(f))
  .map((f) => join(root, 'src', f));
await build({
  entryPoints: sources,
  outdir: join(root, 'dist'),
  outbase: join(root, 'src'),
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
await buildWeb();

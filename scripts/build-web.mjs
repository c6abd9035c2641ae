// Bundles the page (src/web) with esbuild into dist/web, a folder any static host can serve:
// index.html, style.css, app.js and its Web Workers — worker.js (runs a model), teach-worker.js
// (fine-tunes and exports) and train-thread.js (a training thread) — each with the core code it uses.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildWeb() {
  const out = join(root, 'dist', 'web');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(['app', 'worker', 'teach-worker', 'train-thread'].map((n) => [n, join(root, 'src/web', `${n}.ts`)])),
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src/web', f), join(out, f));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();

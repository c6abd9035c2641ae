// Bundles the chat page (src/web) with esbuild into dist/web: index.html, style.css, app.js and
// worker.js (the Web Worker that runs the model in the browser with the same core code).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildWeb() {
  const out = join(root, 'dist', 'web');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { app: join(root, 'src/web/app.ts'), worker: join(root, 'src/web/worker.ts') },
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

// The ONNX export in headless Chromium: tinytalk's exporter (src/core, bundled for the browser)
// writes the same model.onnx bytes there as in Node, and the browser snippet of docs/convert.md,
// run as written with transformers.js and onnxruntime-web served from node_modules instead of a
// CDN, loads the exported folder and replies with the golden greedy text.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxFolderFiles } from '../../src/core/export/onnx/folder.js';
import { standIn } from '../engine/models.js';
import { HF_STANDIN, ROOT, sharedJson } from '../helpers/shared.js';

const golden = sharedJson<{ entries: { prompt: string; text: string }[] }>('golden', 'hf_forward_f32.json').entries;
const CDN = 'https://cdn.jsdelivr.net/npm/@huggingface/transformers@4.3.2';
const ORT = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

let folder: Map<string, Uint8Array>;
let exporter: string; // the browser bundle of the exporter
let page: string; // the docs snippet, pointed at the local copies
let server: Server;
let base: string;
let browser: Browser;

/** What the test server answers: the page, the bundles, onnxruntime-web's files, the stand-in and the exported folder. */
function respond(path: string): [string, Uint8Array | string] | undefined {
  const type = (p: string) => TYPES[/\.[a-z]+$/.exec(p)?.[0] ?? ''] ?? 'application/octet-stream';
  if (path === '/') return ['text/html', page];
  if (path === '/exporter.js') return ['text/javascript', exporter];
  if (path === '/transformers.min.js') return ['text/javascript', readFileSync(join(ROOT, 'node_modules', '@huggingface', 'transformers', 'dist', 'transformers.min.js'))];
  const file = normalize(path).replace(/^\/+/, '');
  if (file.startsWith('ort/') && !file.includes('..')) return [type(file), readFileSync(join(ORT, file.slice(4)))];
  if (file.startsWith('standin/') && !file.includes('..')) return [type(file), readFileSync(join(HF_STANDIN(), file.slice(8)))];
  const exported = folder.get(file.slice('models/tinytalk-onnx/'.length));
  if (file.startsWith('models/tinytalk-onnx/') && exported) return [type(file), exported];
  return undefined;
}

beforeAll(async () => {
  folder = onnxFolderFiles(await standIn(), 'fp32');
  const bundle = await build({
    stdin: {
      contents: "export { neoOnnxModel } from './src/core/export/onnx/decoder.ts'; export { modelFromHfFiles } from './src/core/load/model.ts';",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  });
  exporter = bundle.outputFiles[0]!.text;
  const doc = readFileSync(join(ROOT, 'docs', 'convert.md'), 'utf8');
  const snippet = /```html\n([\s\S]*?)```/.exec(doc.slice(doc.indexOf('### transformers.js in a browser')))![1]!;
  expect(snippet).toContain(CDN);
  // the page as documented; offline, transformers.js and onnxruntime-web's wasm come from this server
  page = snippet
    .replace(CDN, '/transformers.min.js')
    .replace(
      'env.allowRemoteModels = false;',
      "env.allowRemoteModels = false; env.backends.onnx.wasm.wasmPaths = { mjs: '/ort/ort-wasm-simd-threaded.mjs', wasm: '/ort/ort-wasm-simd-threaded.wasm' };",
    );
  server = createServer((req, res) => {
    try {
      const found = respond(new URL(req.url ?? '/', 'http://x').pathname);
      if (!found) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': found[0] }).end(found[1]);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the ONNX export in Chromium', () => {
  it('tinytalk’s exporter writes the same model.onnx in the browser as in Node', async () => {
    const tab = await browser.newPage();
    await tab.goto(`${base}/standin/config.json`);
    // as a string: vitest would rewrite a dynamic import() inside a function
    const digest = await tab.evaluate(`(async () => {
      const get = async (f) => new Uint8Array(await (await fetch('/standin/' + f)).arrayBuffer());
      const text = async (f) => new TextDecoder().decode(await get(f));
      const { modelFromHfFiles, neoOnnxModel } = await import('/exporter.js');
      const model = modelFromHfFiles({ config: await text('config.json'), safetensors: await get('model.safetensors'), tokenizerJson: await text('tokenizer.json') }, 'standin');
      const bytes = neoOnnxModel(model, 'fp32');
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
    })()`);
    await tab.close();
    expect(digest).toBe(createHash('sha256').update(folder.get('onnx/model.onnx')!).digest('hex'));
  });

  it('the browser snippet of docs/convert.md loads the folder with transformers.js and replies with the golden text', async () => {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(base);
    const expected = golden.find((e) => e.prompt === 'User: what is your name?\nBot:')!.text;
    await expect.poll(() => tab.evaluate(() => document.body.textContent), { timeout: 90_000 }).toBe(expected);
    expect(errors).toEqual([]);
    await tab.close();
  });
});

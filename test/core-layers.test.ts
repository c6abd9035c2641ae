// The layers of src read bottom to top (docs/architecture.md): a file may import its own folder
// and the folders below it, never one above it nor a sibling on the same level. Every import of
// every source file is checked, type-only and dynamic imports included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/shared.js';

/** Bottom first; folders on one line are siblings: neither may import the other. */
const LAYERS: string[][] = [
  ['core/errors'],
  ['core/bytes'],
  ['core/neo'],
  ['core/tokenizer'],
  ['core/formats'],
  ['core/kernels'],
  ['core/model', 'core/firmware'],
  ['core/sample'],
  ['core/load'],
  ['core/train', 'core/export'],
  ['core/eval'],
  ['core/generate'],
  ['core/chat'],
  ['core/api'],
  ['node', 'web'],
];

/** The layer of a path under src/ ('core/chat/session.ts' → 'core/chat'), or undefined. */
function layerOf(path: string): string | undefined {
  const noExt = path.replace(/\.(ts|js)$/, '');
  return LAYERS.flat().find((l) => noExt === l || noExt.startsWith(`${l}/`));
}

const rank = (layer: string): number => LAYERS.findIndex((level) => level.includes(layer));

/** Relative specifiers a source text imports or re-exports, statically or dynamically. */
function importsOf(source: string): string[] {
  const specs = [
    ...source.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

/** Each import of `file` (a path under src/) that goes against the order, as "from → to". */
function violations(file: string, source: string): string[] {
  const from = layerOf(file);
  if (from === undefined) return [`${file}: in no layer`];
  return importsOf(source).flatMap((spec) => {
    const target = posix.join(posix.dirname(file), spec);
    const to = layerOf(target);
    if (to === undefined) return [`${file} → ${target}: in no layer`];
    return to === from || rank(to) < rank(from) ? [] : [`${file} (${from}) → ${target} (${to})`];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.ts$/.test(f) ? [p] : [];
  });
}

describe('the import order of src', () => {
  const src = join(ROOT, 'src');
  const files = sourceFiles(src).map((p) => relative(src, p).split('\\').join('/'));

  it('checks every source file, and every file lies in a layer', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
    // every layer named holds code (a renamed folder must be renamed here too)
    expect(LAYERS.flat().filter((l) => !files.some((f) => layerOf(f) === l))).toEqual([]);
  });

  it.each(files)('%s imports only its own layer and those below', (file) => {
    expect(violations(file, readFileSync(join(src, file), 'utf8'))).toEqual([]);
  });

  it('catches an import against the order, type-only and dynamic ones too', () => {
    // the JS fallbacks once lived in model/: kernels importing them points upwards
    expect(violations('core/kernels/attention.ts', "import { softmax } from '../model/layers.js';")).toEqual([
      'core/kernels/attention.ts (core/kernels) → core/model/layers.js (core/model)',
    ]);
    expect(violations('core/formats/crdp.ts', "import type { Engine } from '../generate/generate.js';")).toHaveLength(1);
    expect(violations('core/neo/model.ts', "const t = await import('../tokenizer/tokenizer.js');")).toHaveLength(1);
    expect(violations('core/tokenizer/index.ts', "export { loadCtk2 } from '../formats/ctk2.js';")).toHaveLength(1);
    // siblings: the two engines share nothing but what lies below them; the page never imports Node code
    expect(violations('core/firmware/firmware-engine.ts', "import { layerNorm } from '../model/transformer.js';")).toHaveLength(1);
    expect(violations('web/worker.ts', "import { loadModel } from '../node/load.js';")).toHaveLength(1);
    // and what the order allows passes
    expect(violations('core/chat/session.ts', "import { generateStream } from '../generate/generate.js';\nimport { UsageError } from '../errors.js';")).toEqual([]);
    expect(violations('core/kernels/matmul.ts', "import { matmulJs } from './js.js';")).toEqual([]);
  });
});

// The page's sources run in browsers: they may import the core, never src/node or Node modules.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';

const dir = join(ROOT, 'src', 'web');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('src/web is browser code', () => {
  it('has the page and its worker', () => expect(files).toEqual(expect.arrayContaining(['app.ts', 'worker.ts'])));
  it.each(files)('%s imports neither src/node nor Node modules', (file) => {
    const src = readFileSync(join(dir, file), 'utf8');
    const imports = [...src.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const spec of imports) expect(spec.startsWith('.')).toBe(true); // no packages, no node:
    expect(imports.filter((s) => s.includes('/node/'))).toEqual([]);
    expect(src).not.toMatch(/\b(Buffer|process|require)\s*[.(]/);
  });
});

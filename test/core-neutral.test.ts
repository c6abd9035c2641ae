// The core must run in browsers: no Node modules, no Node globals.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/shared.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('src/core is platform-neutral', () => {
  const files = tsFiles(join(ROOT, 'src', 'core'));
  it('has files to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files.map((f) => [f.slice(ROOT.length + 1), f]))('%s imports nothing from Node', (_, file) => {
    const src = readFileSync(file, 'utf8');
    expect(src).not.toMatch(/from\s+['"](node:|fs|path|os|child_process|worker_threads|http|url)['"/]/);
    expect(src).not.toMatch(/\b(Buffer|process|require)\s*[.(]/);
    expect(src).not.toMatch(/import\(\s*['"]node:/);
  });
});

// docs/architecture.md names files and functions a reader is sent to: every path it names must
// exist, and in its walk-through every name after a path must be defined in that file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/shared.js';

const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const spans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const isPath = (s: string): boolean => /^(\.\.\/shared\/|src\/|bin\/|scripts\/|test\/|docs\/)\S+$/.test(s);
const isName = (s: string): boolean => /^[A-Za-z_$][\w$]*$/.test(s);

/** Whether `name` is declared in the source text: a function, class, type, constant or method. */
function defines(source: string, name: string): boolean {
  const n = name.replace(/\$/g, '\\$');
  return new RegExp(`\\b(function\\*?|class|interface|type|const|let)\\s+${n}\\b`).test(source) ||
    new RegExp(`^\\s*(?:(?:public|private|protected|static|async|readonly)\\s+)*\\*?\\s*${n}\\s*(?:<[^>]*>)?\\(`, 'm').test(source);
}

/** [path, name] for each name that follows a path in the walk-through section. */
function walkThrough(): Array<[string, string]> {
  const section = doc.slice(doc.indexOf('## The path of one token'), doc.indexOf('## Where to start reading'));
  const out: Array<[string, string]> = [];
  let path: string | undefined;
  for (const s of spans(section)) {
    if (isPath(s)) path = s;
    else if (path && isName(s)) out.push([path, s]);
  }
  return out;
}

describe('docs/architecture.md', () => {
  const paths = [...new Set(spans(doc).filter(isPath))];

  it('is linked from the README', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/architecture.md)');
  });

  it('names paths, and a walk-through of names', () => {
    expect(paths.length).toBeGreaterThan(20);
    expect(walkThrough().length).toBeGreaterThan(40);
  });

  it.each(paths)('%s exists', (path) => {
    expect(existsSync(join(ROOT, path))).toBe(true);
  });

  it.each(walkThrough())('%s defines %s', (path, name) => {
    expect(defines(readFileSync(join(ROOT, path), 'utf8'), name)).toBe(true);
  });

  it('catches a name its file does not define, and a path that does not exist', () => {
    expect(defines('export function readCrdp(bytes) {}\nclass A {\n  private run(n: number): void {}\n}', 'readCrdp')).toBe(true);
    expect(defines('class A {\n  private run(n: number): void {}\n}', 'run')).toBe(true);
    expect(defines('const x = readCrdp(bytes);', 'readCrdp')).toBe(false); // a call is no definition
    expect(existsSync(join(ROOT, 'src/core/model/layers.ts'))).toBe(false);
  });
});

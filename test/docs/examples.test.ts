// README.md and docs/ as a user reads them: every example runs tinytalk the way a clone installs
// it (`npx tinytalk`), names files that exist, writes where git ignores; the firmware description
// is cited where it is; no machine's paths; the prose describes the product. (.ci/fresh-clone.mjs
// runs the README's examples themselves in a fresh clone.)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (doc: string) => readFileSync(join(ROOT, doc), 'utf8');

/** The commands of a document's sh code blocks, continuation lines joined, comments dropped. */
function commands(doc: string): string[] {
  const blocks = [...text(doc).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}

describe.each(DOCS)('%s', (doc) => {
  it('runs tinytalk as npx tinytalk', () => {
    for (const line of commands(doc)) {
      // tinytalk in command position: at the start, after a pipe, or after VAR=value assignments
      expect(line, line).not.toMatch(/(^|[|;&]\s*)(\w+=\S*\s+)*tinytalk\s/);
    }
  });

  it('names files of ../shared that exist', () => {
    for (const line of commands(doc)) {
      for (const [path] of line.matchAll(/\.\.\/shared\/[^\s'"]+/g)) expect(existsSync(resolve(ROOT, path)), `${line}: ${path}`).toBe(true);
    }
  });

  it('writes its outputs where git ignores them', () => {
    for (const line of commands(doc)) {
      for (const m of line.matchAll(/--(?:out|export-firmware|export-gguf) (\S+)/g)) {
        const path = m[1]!;
        if (path.startsWith('../') || path.startsWith('<')) continue;
        const r = spawnSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: ROOT });
        expect(r.status, `${line}: ${path} is not ignored by .gitignore`).toBe(0);
      }
    }
  });

  it('cites the firmware description where it is, shows no machine paths, describes the product', () => {
    const t = text(doc);
    expect(t).not.toMatch(/(?<!\.\.\/shared\/)docs\/firmware-format\.md/);
    expect(t).not.toMatch(/(^|[\s(`'"])\/(work|home|root|tmp)\//m);
    for (const phrase of [/\bissue'?s?\b/i, /\bearlier session\b/i, /\bthis VM\b/i, /\baimed for\b/i, /\bproject's targets\b/i]) {
      expect(t).not.toMatch(phrase);
    }
  });
});

describe('README.md', () => {
  it('says what ../shared is and where the model normally comes from', () => {
    const section = /### `\.\.\/shared`[^\n]*\n([\s\S]*?)\n## /.exec(text('README.md'))?.[1] ?? '';
    expect(section).toMatch(/reference outputs tinytalk is tested against/);
    expect(section).toMatch(/normally let tinytalk\s+fetch the model from the hub/);
  });
});

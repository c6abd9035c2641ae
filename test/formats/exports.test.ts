// The package as another project sees it: a consumer with `tinytalk` in its node_modules imports
// the subpaths of package.json "exports" from the built dist/ (runtime and TypeScript types), and
// gets the firmware's own test vectors and header values back.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, V2_MODEL, V2_TOKENIZER } from '../helpers/shared.js';
import { scratchDir } from './util.js';

const consumer = scratchDir();
mkdirSync(join(consumer, 'node_modules'));
symlinkSync(ROOT, join(consumer, 'node_modules', 'tinytalk'), 'dir');
writeFileSync(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }));

function node(source: string) {
  writeFileSync(join(consumer, 'main.mjs'), source);
  const r = spawnSync(process.execPath, ['main.mjs'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('package exports', () => {
  it('imports tinytalk, tinytalk/tokenizer, tinytalk/formats and tinytalk/node from dist', () => {
    const r = node(`
      import { readFileSync } from 'node:fs';
      import { FormatError } from 'tinytalk';
      import { loadCtk2 } from 'tinytalk/tokenizer';
      import { readCrdp } from 'tinytalk/formats';
      import { loadModel } from 'tinytalk/node';
      const tok = loadCtk2(new Uint8Array(readFileSync(${JSON.stringify(V2_TOKENIZER())})), 'tok_neo.bin');
      const crdp = readCrdp(new Uint8Array(readFileSync(${JSON.stringify(V2_MODEL())})), 'model.bin');
      let error = '';
      try { readCrdp(new Uint8Array(10), 'short.bin'); } catch (e) { error = (e instanceof FormatError) + ' ' + e.message; }
      const model = await loadModel(${JSON.stringify(V2_MODEL())});
      console.log(JSON.stringify({
        ids: tok.encode('User: hi! how are you today?\\nBot:'),
        header: [crdp.header.version, crdp.header.vocabSize, crdp.header.seqLen],
        error,
        loaded: [model.source.format, model.tokenizer.eosId],
      }));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      ids: [7815, 25, 10520, 0, 698, 389, 345, 1795, 30, 198, 9961, 25], // firmware-format.md 2.3
      header: [2, 14019, 256], // 1.2
      error: 'true short.bin: header: expected a 64-byte CRDP header, found a file of 10 bytes',
      loaded: ['crdp', 14018],
    });
  });

  it('generates and chats through the public API (tinytalk, tinytalk/chat)', () => {
    const r = node(`
      import { generate, ChatSession } from 'tinytalk';
      import { promptBudget } from 'tinytalk/chat';
      import { loadModel } from 'tinytalk/node';
      const model = await loadModel(${JSON.stringify(V2_MODEL())});
      const g = await generate(model, 'User: hi! how are you today?\\nBot:', { firmware: true, temperature: 0, maxTokens: 40 });
      const chat = new ChatSession(model, { firmware: true, temperature: 0 });
      const stream = chat.reply('hi! how are you today?');
      let streamed = '';
      let r = await stream.next();
      for (; !r.done; r = await stream.next()) streamed += r.value;
      console.log(JSON.stringify({ ids: g.ids, finish: g.finishReason, text: g.text, streamed, budget: promptBudget(80, 44) }));
    `);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // firmware-format.md 5.7: the device's greedy reply to this prompt
    expect(out.ids).toEqual([314, 1080, 1710, 867, 11, 4602, 345, 13, 1329, 389, 345, 30]);
    expect(out).toMatchObject({ finish: 'eos', text: " I'm doing well, thank you. How are you?", budget: 35 });
    expect(out.streamed.trim()).toBe("I'm doing well, thank you. How are you?");
  });

  it('keeps internal modules private', () => {
    const r = node(`import 'tinytalk/dist/core/errors.js';`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('gives TypeScript consumers the declarations of each subpath', () => {
    writeFileSync(
      join(consumer, 'main.ts'),
      `import { FormatError } from 'tinytalk';
       import { loadCtk2, type Tokenizer } from 'tinytalk/tokenizer';
       import { parseSafetensors } from 'tinytalk/formats';
       import { loadModel } from 'tinytalk/node';
       export const ids = (b: Uint8Array): number[] => (loadCtk2(b, 'x') satisfies Tokenizer).encode('hi');
       export const count = (b: Uint8Array): number => parseSafetensors(b, 'x').tensors.size;
       export const vocab = async (): Promise<number> => (await loadModel('x')).config.vocabSize;
       export const wrong: string = ids(new Uint8Array()); // must be reported: number[] is not a string
       export { FormatError };`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'main.ts'];
    const r = spawnSync(process.execPath, [tsc, ...args], { cwd: consumer, encoding: 'utf8', timeout: 120_000 });
    // The one error is the deliberate one: every import resolved with its real types.
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^main\.ts\(8,\d+\): error TS2322: Type 'number\[\]' is not assignable to type 'string'\.$/)]);
  });
});

// The built `tinytalk` commands on v3 blobs as a user runs them: generate and chat in firmware
// mode against the v3 goldens (window, slides, --fma, --firmware-version, --top-p), and the
// dim-256 fixture end to end (generate, chat, convert v3 → v2 → v3 byte for byte, eval, serve).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, tinytalk } from '../helpers/cli.js';
import { DIM256_MODEL, SHARED, sharedJson, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';
import type { V3Entry, V3Run } from './goldens.js';

const v3 = (file: string, ...dir: string[]): V3Entry[] => sharedJson<{ entries: V3Entry[] }>('golden', 'v3', ...dir, file).entries;
const greedy = v3('generate_firmware_greedy_tinytalk1_v3.json');
const json = (s: string): Record<string, any> => JSON.parse(s);

function generateJson(args: string[]): Record<string, any> {
  const r = tinytalk(['generate', '--firmware', '--json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return json(r.stdout);
}

describe('tinytalk generate --firmware on v3 blobs', () => {
  it('greedy at the firmware window, and with --context 40 its slides', () => {
    const e = greedy[0]!;
    const out = generateJson(['--model', V3_MODEL(), '--prompt', e.prompt, '--temperature', '0', '--max-tokens', '60']);
    expect(out).toMatchObject({ prompt_ids: (e.kv80 as V3Run).prompt_ids, ids: (e.kv80 as V3Run).ids, text: (e.kv80 as V3Run).text });
    expect(out.slides).toBeUndefined();
    const s = v3('generate_firmware_slide_tinytalk1_v3.json').find((x) => x.kind === 'story')!;
    const slid = generateJson(['--model', V3_MODEL(), '--prompt', s.prompt, '--temperature', '0', '--max-tokens', '60', '--context', '40']);
    expect(slid.ids).toEqual((s.kv40_slide as V3Run).ids);
    expect(slid.slides).toEqual((s.kv40_slide as V3Run).slides);
  });

  it('--fma gives the fused build\'s ids where they differ from the host build\'s', () => {
    const fused = v3('generate_firmware_greedy_tinytalk1_v3.json', 'variants', 'fma_contract');
    const i = greedy.findIndex((e, j) => JSON.stringify((e.kv80 as V3Run).ids) !== JSON.stringify((fused[j]!.kv80 as V3Run).ids));
    const out = generateJson(['--model', V3_MODEL(), '--prompt', greedy[i]!.prompt, '--temperature', '0', '--max-tokens', '60', '--fma']);
    expect(out.ids).toEqual((fused[i]!.kv80 as V3Run).ids);
  });

  it('samples with --top-p 1 (the full walk), and --firmware-version 2 computes as the v2 firmware', () => {
    const e = v3('sample_firmware_seed1234_tinytalk1_v3.json')[1]!;
    const out = generateJson(['--model', V3_MODEL(), '--prompt', e.prompt, '--seed', '1234', '--top-p', '1', '--max-tokens', '40']);
    expect(out.ids).toEqual((e['top_p_1.0'] as V3Run).ids);
    const v2 = sharedJson<{ entries: Array<{ prompt: string; kv80: { text: string } }> }>('golden', 'generate_firmware_greedy.json').entries[0]!;
    const old = generateJson(['--model', V3_MODEL(), '--prompt', v2.prompt, '--temperature', '0', '--max-tokens', '60', '--firmware-version', '2']);
    expect(old.text).toBe(v2.kv80.text);
    const bad = tinytalk(['generate', '--model', V3_MODEL(), '--prompt', 'hi', '--firmware', '--firmware-version', '4']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--firmware-version.*expected 2 or 3/);
  });
});

describe('tinytalk chat --firmware on v3 blobs', () => {
  it('answers as the v3 engine did and says which firmware it follows', () => {
    const chats = greedy.filter((e) => e.kind === 'chat').slice(0, 3);
    const r = tinytalk(['chat', '--model', V3_MODEL(), '--firmware', '--temperature', '0', '--max-reply', '60', '--json'], {
      input: `${chats.map((e) => /^User: (.*)\nBot:$/s.exec(e.prompt)![1]).join('\n/new\n')}\n`,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('firmware mode, v3 firmware');
    expect(r.stderr).toContain('top-p 0.9');
    const out = r.stdout.trim().split('\n').map(json);
    expect(out.map((o) => o.ids)).toEqual(chats.map((e) => (e.kv80 as V3Run).ids));
  });
});

describe('the dim-256 fixture end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinytalk-dim256-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const entries = v3('generate_firmware_greedy_random_dim256.json', 'random_dim256');
  let toV2 = '';
  beforeAll(() => {
    const r = tinytalk(['convert', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--to', 'firmware', '--version', '2', '--out', join(dir, 'v2')]);
    toV2 = r.stdout + r.stderr;
  });

  it('generate --firmware: greedy ids and slides of the golden run', () => {
    const e = entries[1]!;
    const out = generateJson(['--model', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--prompt', e.prompt, '--temperature', '0', '--max-tokens', '240']);
    expect(out.ids).toEqual((e.kv72 as V3Run).ids);
    expect(out.slides).toEqual((e.kv72 as V3Run).slides);
  });

  it('chat --firmware: a reply that slides the 72-slot window', () => {
    const e = entries.find((x) => x.kind === 'chat')!;
    const r = tinytalk(['chat', '--model', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--firmware', '--temperature', '0', '--max-reply', '240', '--json'], {
      input: `${/^User: (.*)\nBot:$/s.exec(e.prompt)![1]}\n`,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('72-token context');
    const out = json(r.stdout);
    expect(out.ids).toEqual((e.kv72 as V3Run).ids);
    expect(out.slides).toBe((e.kv72 as V3Run).slides!.length);
    expect(r.stderr).toMatch(/the window slid \d+ times/);
  });

  it('convert v3 → v2 → v3 gives the blob and its tokenizer back byte for byte', () => {
    expect(toV2).toMatch(/CRDP v2: 12,062 tokens, 256 positions/);
    const r = tinytalk(['convert', join(dir, 'v2', 'model_neo_q4.bin'), '--to', 'firmware', '--version', '3', '--out', join(dir, 'v3')]);
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'v3', 'TINYTLK.BIN')), readFileSync(DIM256_MODEL()))).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'v3', 'TINYTLK.TOK')), readFileSync(V3_TOKENIZER()))).toBe(0);
  });

  it('eval: the same loss from the v3 blob and its v2 copy (each layout read on its own)', () => {
    const r = tinytalk(['eval', '--model', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--data', join(SHARED, 'data', 'chat_val.txt'), '--limit', '4', '--compare', join(dir, 'v2', 'model_neo_q4.bin'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [v3Blob, v2Copy] = JSON.parse(r.stdout) as Array<Record<string, number>>;
    expect(v3Blob!.tokens).toBeGreaterThan(0);
    expect(Number.isFinite(v3Blob!.loss) && v3Blob!.loss > 0).toBe(true);
    expect([v2Copy!.loss, v2Copy!.tokens, v2Copy!.samples]).toEqual([v3Blob!.loss, v3Blob!.tokens, v3Blob!.samples]);
  });

  it('serve: answers a chat completion as generate does in the same (reference) mode', async () => {
    const { url, child } = await startServe(['--model', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--port', '0']);
    try {
      const res = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt: 'User: hi!\nBot:', temperature: 0, max_tokens: 12 }),
      });
      const body = (await res.json()) as { choices: { text: string }[]; usage: { completion_tokens: number } };
      const gen = tinytalk(['generate', '--model', DIM256_MODEL(), '--tokenizer', V3_TOKENIZER(), '--prompt', 'User: hi!\nBot:', '--temperature', '0', '--max-tokens', '12', '--json']);
      expect(gen.status, gen.stderr).toBe(0);
      expect(body.choices[0]!.text).toBe(json(gen.stdout).text);
      expect(body.usage.completion_tokens).toBe(json(gen.stdout).ids.length);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

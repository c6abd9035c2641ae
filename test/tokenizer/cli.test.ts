// `tinytalk tokenize` as a user runs it (the built bin), checked against the golden prompt ids.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, V2_MODEL } from '../helpers/shared.js';

const forward = sharedJson<{ entries: Array<{ prompt: string; prompt_ids: number[] }> }>('golden', 'hf_forward_f32.json');
const multi = forward.entries.find((e) => e.prompt.includes('<|endoftext|>'))!;

describe('tinytalk tokenize', () => {
  it('prints the device ids of a firmware blob on one line', () => {
    const r = tinytalk(['tokenize', '--model', V2_MODEL(), 'User: hi! how are you today?\nBot:']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('7815 25 10520 0 698 389 345 1795 30 198 9961 25\n');
  });

  it('prints ids and pieces as JSON for a Hugging Face checkpoint, EOS included', () => {
    const r = tinytalk(['tokenize', '--model', HF_STANDIN(), '--json', multi.prompt]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ids: number[]; pieces: string[] };
    expect(out.ids).toEqual(multi.prompt_ids);
    expect(out.pieces.join('')).toBe(multi.prompt);
  });

  it('selects the device encoding with --firmware', () => {
    const text = 'a\n\nb';
    expect(tinytalk(['tokenize', '--model', HF_STANDIN(), text]).stdout).toBe('64 198 198 65\n');
    expect(tinytalk(['tokenize', '--model', HF_STANDIN(), '--firmware', text]).stdout).toBe('64 626 65\n');
  });

  it('reports a broken --tokenizer file by name and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinytalk-tok-'));
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify({ model: { type: 'BPE', merges: [] } }));
    const r = tinytalk(['tokenize', '--model', HF_STANDIN(), '--tokenizer', file, 'hi']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tinytalk: ${file}: model.vocab: expected a JSON object, found undefined\n`);
  });
});

// `tinytalk generate` as a user runs it, against the firmware engine's greedy golden.
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, V2_MODEL } from '../helpers/shared.js';

const golden = sharedJson<{ entries: Array<{ prompt: string; kv80: { prompt_ids: number[]; ids: number[]; text: string; finish_reason: string } }> }>(
  'golden',
  'generate_firmware_greedy.json',
);

describe('tinytalk generate', () => {
  it('--firmware --json on the v2 blob gives the device greedy run', () => {
    const e = golden.entries.find((x) => x.prompt.includes('<|endoftext|>'))!; // a multi-turn prompt
    const r = tinytalk(['generate', '--model', V2_MODEL(), '--prompt', e.prompt, '--firmware', '--temperature', '0', '--max-tokens', '60', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.prompt_ids).toEqual(e.kv80.prompt_ids);
    expect(out.ids).toEqual(e.kv80.ids);
    expect(out.text).toBe(e.kv80.text);
    expect(out.finish_reason).toBe(e.kv80.finish_reason);
    expect(out.timings.tokens_per_second).toBeGreaterThan(0);
  });

  it('streams the text to stdout', () => {
    const e = golden.entries[0]!;
    const r = tinytalk(['generate', '--model', V2_MODEL(), '--prompt', e.prompt, '--firmware', '--temperature', '0']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${e.kv80.text}\n`);
  });

  it('reference mode: --temperature 0 --max-tokens 40 gives the PyTorch greedy run', () => {
    const ref = sharedJson<{ entries: Array<{ kind: string; prompt: string; prompt_ids: number[]; greedy_ids: number[]; text: string; finish_reason: string }> }>(
      'golden',
      'hf_forward_f32.json',
    );
    const e = ref.entries.find((x) => x.kind === 'story')!;
    const r = tinytalk(['generate', '--model', HF_STANDIN(), '--prompt', e.prompt, '--temperature', '0', '--max-tokens', '40', '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.prompt_ids).toEqual(e.prompt_ids);
    expect(out.ids).toEqual(e.greedy_ids);
    expect(out.text).toBe(e.text);
    expect(out.finish_reason).toBe(e.finish_reason);
  });

  it('--seed reproduces the device\'s sampled text', () => {
    const s = sharedJson<{ entries: Array<{ prompt: string; text: string }> }>('golden', 'sample_firmware_seed1234.json').entries[0]!;
    const r = tinytalk(['generate', '--model', V2_MODEL(), '--prompt', s.prompt, '--firmware', '--temperature', '0.8', '--seed', '1234', '--max-tokens', '40']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${s.text}\n`);
  });

  it('a prompt longer than the context is a clear error', () => {
    const r = tinytalk(['generate', '--model', V2_MODEL(), '--prompt', 'a b c d e f g h i j', '--firmware', '--context', '8']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinytalk: the prompt has \d+ tokens but the context holds 8 positions/);
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' '); // 300 words, more tokens than 256 positions
    const ref = tinytalk(['generate', '--model', HF_STANDIN(), '--prompt', words, '--temperature', '0']);
    expect(ref.status).toBe(1);
    expect(ref.stderr).toMatch(/^tinytalk: the prompt has \d+ tokens but the context holds 256 positions/);
    const ctx = tinytalk(['generate', '--model', HF_STANDIN(), '--prompt', 'hi', '--context', '1000']);
    expect(ctx.status).toBe(1);
    expect(ctx.stderr).toMatch(/^tinytalk: context must be an integer from 1 to 256/);
  });
});

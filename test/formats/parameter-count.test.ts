// `tinytalk inspect` explains its parameter count: where the parameters are, what a GGUF stores on
// top, and how the shipped files' 3.41M relate to the 8.28M of TinyTalk's model card (the hub
// stand-in's README states the original's count, vocabulary and positions; the sums are computed
// here from the GPT-Neo shapes).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, V2_MODEL } from '../helpers/shared.js';

const D = 128;
const F = 512;
const L = 8;
/** A GPT-Neo block: q, k, v, out (D × D), c_fc (F × D), c_proj (D × F), their 3 biases, 2 layer norms. */
const LAYER = 4 * D * D + 2 * D * F + (D + F + D) + 4 * D;
const count = (vocab: number, positions: number) => vocab * D + positions * D + L * LAYER + 2 * D;
const n = (x: number) => x.toLocaleString('en-US');

describe('inspect: the parameter count explained', () => {
  it("the shipped blob: its 3,410,560, and the model card's 8.28M", () => {
    const card = readFileSync(join(HF_STANDIN(), 'README.md'), 'utf8');
    expect(card).toContain('8.28M parameters, full\n50,257-token GPT-2 vocabulary, 2,048 positions');
    const original = count(50_257, 2_048);
    expect((original / 1e6).toFixed(2)).toBe('8.28');
    const shipped = count(14_019, 256);
    const r = tinytalk(['inspect', V2_MODEL()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `parameters    ${n(shipped)}\n` +
        `              embedding ${n(14_019 * D)} (14,019 tokens × 128; the output layer shares it, tied, counted once)\n` +
        `              positions ${n(256 * D)} (256 × 128), 8 layers ${n(L * LAYER)}, final norm 256\n` +
        `              TinyTalk's model card counts ${n(original)} (~8.3M): GPT-2's whole 50,257-token vocabulary and 2,048 positions, before pruning for the firmware\n`,
    );
  });

  it('a GGUF: what it stores on top of GPT-Neo', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tinytalk-count-')), 'tinytalk.gguf');
    expect(tinytalk(['convert', HF_STANDIN(), '--to', 'gguf', '--out', file]).status).toBe(0);
    const j = JSON.parse(tinytalk(['inspect', file, '--json']).stdout);
    const extra = 14_019 * D + L * 3 * D; // output.weight, a copy of the embedding; attn_qkv.bias
    expect(j.parameters).toBe(count(14_019, 256) + extra);
    expect(j.parameterBreakdown).toEqual({
      embedding: 14_019 * D, positions: 256 * D, layers: L * LAYER, finalNorm: 2 * D, total: count(14_019, 256), modelCard: count(50_257, 2_048),
    });
    expect(tinytalk(['inspect', file]).stdout).toContain(
      `that is ${n(count(14_019, 256))}; the file stores ${n(extra)} more: GGUF's gpt2 layout repeats the embedding as output.weight and adds q/k/v biases (zeros)`,
    );
  });
});

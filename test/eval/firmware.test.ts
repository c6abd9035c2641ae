// `eval --firmware`: the loss it prints equals the loss computed here, in float64, from the
// firmware engine's own logits fed one token at a time as the device runs (decode, never a
// batched prefill), in 80-token windows each started from an empty cache; the same logits match
// the firmware goldens' top-5 at the end of a prompt. For the v2 and the v3 arithmetic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrainingText, encodeSample, IGNORE_LABEL } from '../../src/core/train/data.js';
import { firmwareEngine } from '../../src/core/firmware/select.js';
import type { Engine } from '../../src/core/neo/engine.js';
import type { Model } from '../../src/core/neo/model.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { sharedJson, sharedPath, V2_MODEL, V3_MODEL } from '../helpers/shared.js';

const WINDOW = 80;
const SAMPLES = 3;

/** Per-position logits of ids fed one by one from an empty cache (the device's loop). */
function stepLogits(engine: Engine, ids: number[]): Float32Array[] {
  const seq = engine.newSequence();
  return ids.map((id) => Float32Array.from(engine.decode([seq], [id])));
}

/** −log softmax(l)[t] in float64, written out again. */
function nll(l: Float32Array, t: number): number {
  let max = -Infinity;
  for (const v of l) if (v > max) max = v;
  let s = 0;
  for (const v of l) s += Math.exp(v - max);
  return Math.log(s) + max - l[t]!;
}

/** The reference: windows of 80 tokens, each token's logits scored against the next label. */
function referenceLoss(model: Model, version: 2 | 3, text: string): { loss: number; tokens: number; longest: number } {
  const engine = firmwareEngine(model, { firmwareVersion: version, maxBatch: 1 });
  const samples = parseTrainingText(text).samples.slice(0, SAMPLES);
  let sum = 0;
  let tokens = 0;
  let longest = 0;
  for (const sample of samples) {
    const { ids, labels } = encodeSample(sample, model.tokenizer, { mode: 'gpt2' });
    longest = Math.max(longest, ids.length);
    for (let start = 0; start < ids.length; start += WINDOW) {
      const block = ids.slice(start, start + WINDOW);
      const logits = stepLogits(engine, block);
      for (let j = 1; j < block.length; j++) {
        const label = labels[start + j]!;
        if (label === IGNORE_LABEL) continue;
        sum += nll(logits[j - 1]!, label);
        tokens++;
      }
    }
  }
  return { loss: sum / tokens, tokens, longest };
}

describe('eval --firmware', () => {
  const data = sharedPath('data', 'chat_val.txt');
  const text = readFileSync(data, 'utf8');

  for (const [version, file] of [[2, V2_MODEL], [3, V3_MODEL]] as const) {
    it(`v${version}: the printed loss is the firmware engine's own, token by token`, async () => {
      const model = await loadModel(file());
      const ref = referenceLoss(model, version, text);
      expect(ref.longest).toBeGreaterThan(WINDOW); // the windowing is exercised
      const r = tinytalk(['eval', '--model', file(), '--data', data, '--limit', String(SAMPLES), '--firmware', '--firmware-version', String(version), '--json']);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { loss: number; tokens: number; format: string };
      expect(out.format).toBe(`firmware v${version}, window ${WINDOW}`);
      expect(out.tokens).toBe(ref.tokens);
      expect(Math.abs(out.loss - ref.loss)).toBeLessThan(1e-9);
    });
  }

  for (const [version, file, golden] of [[2, V2_MODEL, ['golden', 'generate_firmware_greedy.json']], [3, V3_MODEL, ['golden', 'v3', 'generate_firmware_greedy_tinytalk1_v3.json']]] as const) {
    it(`v${version}: those logits are the device's (the goldens' top 5 after a prompt)`, async () => {
      const model = await loadModel(file());
      const engine = firmwareEngine(model, { firmwareVersion: version, maxBatch: 1 });
      const g = sharedJson<{ entries: Array<{ kv80: { prompt_ids: number[]; first_top5: Array<[number, number]> } }> }>(...golden);
      for (const e of g.entries.slice(0, 3)) {
        const logits = stepLogits(engine, e.kv80.prompt_ids).at(-1)!;
        for (const [id, value] of e.kv80.first_top5) expect(Math.abs(logits[id]! - value)).toBeLessThan(2e-3);
      }
    });
  }

  it('refuses --firmware-version without --firmware', () => {
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', data, '--limit', '1', '--firmware-version', '3']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('add --firmware');
  });
});

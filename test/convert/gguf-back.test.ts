// tinytalk's own GGUF files come back: converted to firmware they are the shipped blob and
// tokenizer byte for byte, whatever their matrix type; in firmware mode they compute exactly what
// the shipped blob does; they can be fine-tuned. Only non-zero q/k/v biases, which GPT-Neo has no
// place for, are refused.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { FirmwareEngine } from '../../src/core/firmware/firmware-engine.js';
import { neoForm } from '../../src/core/formats/neo-form.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, sharedPath, V2_MODEL, V2_TOKENIZER } from '../helpers/shared.js';

const TYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
const dir = mkdtempSync(join(tmpdir(), 'tinytalk-gguf-back-'));
const gguf = (type: string) => join(dir, `tinytalk-${type}.gguf`);

interface FirmwareGolden {
  entries: { prompt: string; kv80: { prompt_ids: number[]; ids: number[] } }[];
}

beforeAll(() => {
  for (const type of TYPES) {
    const r = tinytalk(['convert', HF_STANDIN(), '--to', 'gguf', '--quant', type, '--out', gguf(type)]);
    expect(r.status, r.stderr).toBe(0);
  }
});

describe('GGUF → firmware', () => {
  it.each(TYPES)('%s: the shipped blob and tokenizer, byte for byte', (type) => {
    const out = join(dir, `fw-${type}`);
    const r = tinytalk(['convert', gguf(type), '--to', 'firmware', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'model_neo_q4.bin')).equals(readFileSync(V2_MODEL()))).toBe(true);
    expect(readFileSync(join(out, 'tok_neo.bin')).equals(readFileSync(V2_TOKENIZER()))).toBe(true);
  });
});

describe('GGUF in firmware mode', () => {
  it("generate --firmware answers the device's greedy reply", () => {
    const golden = sharedJson<FirmwareGolden>('golden', 'generate_firmware_greedy.json').entries[0]!;
    const r = tinytalk(['generate', '--model', gguf('q4_0'), '--firmware', '--temperature', '0', '--prompt', golden.prompt, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.prompt_ids).toEqual(golden.kv80.prompt_ids);
    expect(out.ids).toEqual(golden.kv80.ids);
  });

  it("computes the shipped blob's logits bit for bit", async () => {
    const blob = new FirmwareEngine(await loadModel(V2_MODEL()));
    const fromGguf = new FirmwareEngine(await loadModel(gguf('q4_0')));
    for (const e of sharedJson<FirmwareGolden>('golden', 'generate_firmware_greedy.json').entries.slice(0, 5)) {
      const a = blob.prefill(blob.newSequence(), e.kv80.prompt_ids).slice();
      const b = fromGguf.prefill(fromGguf.newSequence(), e.kv80.prompt_ids);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer)), e.prompt).toBe(true);
    }
  });
});

describe('GGUF as a starting model', () => {
  it('fine-tunes', () => {
    const out = join(dir, 'run');
    const r = tinytalk([
      'train', '--model', gguf('q4_0'), '--data', sharedPath('data', 'synthetic-persona-chat-valid.csv'), '--rows', '0:3',
      '--out', out, '--steps', '1', '--batch', '2', '--seq-len', '32', '--threads', '1', '--val-blocks', '2', '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).steps).toBe(1);
  });
});

describe('neoForm', () => {
  it('refuses non-zero q/k/v biases, naming the layer', async () => {
    const model = await loadModel(gguf('f32'));
    const layers = model.weights.layers.map((l, i) => (i === 3 ? { ...l, qkvBias: { ...l.qkvBias!, k: Float32Array.from(l.qkvBias!.k, (_, j) => (j === 5 ? 0.5 : 0)) } } : l));
    expect(() => neoForm(model.config, { ...model.weights, layers })).toThrow(
      new UsageError('layer 3 has non-zero q/k/v biases, which GPT-Neo (and so the firmware) has no place for'),
    );
  });
});

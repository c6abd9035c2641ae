// `tinytalk inspect` as a user runs it (the built bin), checked against firmware-format.md §1 and
// the stand-in's safetensors header.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, V2_MODEL, V2_TOKENIZER, V3_MODEL } from '../helpers/shared.js';
import { bytesOf, scratchDir } from './util.js';

function inspectJson(...args: string[]) {
  const r = tinytalk(['inspect', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('tinytalk inspect', () => {
  it('describes the v2 blob as §1 does', () => {
    const j = inspectJson(V2_MODEL());
    expect(j).toMatchObject({ format: 'crdp', version: 2, architecture: 'GPT-Neo', vocabSize: 14019, parameters: 3410560 });
    expect(j.tokenizer).toEqual({ vocabSize: 14019, eosId: 14018, encoding: 'device' });
    expect(j.config).toMatchObject({ hiddenSize: 128, intermediateSize: 512, numLayers: 8, numHeads: 16, maxPositions: 256 });
    expect(j.rawConfig).toMatchObject({ dim: 128, hidden_dim: 512, n_layers: 8, n_heads: 16, n_kv_heads: 16, vocab_size: 14019, seq_len: 256, shared_classifier: 1, quant_type: 4, arch: 2 });
    // Section sizes of the §1.3 table, in file order; header + sections = the file.
    expect(j.tensors.map((t: { bytes: number }) => t.bytes)).toEqual([
      4096, 4096, 4096, 4096, 512, 512, 4096, 16384, 4096, 131072, 1009368, 73728, 73728, 73728, 73728, 294912, 294912,
    ]);
    expect(j.tensors[10]).toMatchObject({ name: 'transformer.wte.weight', shape: [14019, 128] });
    expect(j.tensors[10].type).toMatch(/^Q4_0/);
    expect(j.totalBytes + 64).toBe(2067224);
    expect(j.fileBytes).toBe(2067224);
    // 1,794,432 embedding + 1,572,864 layer-matrix weights (Q4_0) + 43,264 fp32 values.
    const count = (pred: (t: { type: string; name: string }) => boolean) =>
      j.tensors.filter(pred).reduce((n: number, t: { shape: number[] }) => n + t.shape.reduce((a, d) => a * d, 1), 0);
    expect(count((t) => t.name === 'transformer.wte.weight')).toBe(1794432);
    expect(count((t) => t.type !== 'F32' && t.name !== 'transformer.wte.weight')).toBe(1572864);
    expect(count((t) => t.type === 'F32')).toBe(43264);
  });

  it('describes the v3 blob', () => {
    const j = inspectJson(V3_MODEL());
    expect(j).toMatchObject({ format: 'crdp', version: 3, vocabSize: 12062, fileBytes: 1998240 });
    expect(j.config.maxPositions).toBe(80);
    expect(j.tensors[10].bytes).toBe(12062 * 80); // 80-byte row-planar rows
  });

  it('describes the Hugging Face stand-in', () => {
    const j = inspectJson(HF_STANDIN());
    expect(j).toMatchObject({ format: 'hf', architecture: 'GPT-Neo', vocabSize: 14019, parameters: 3410560 });
    expect(j.tensors).toHaveLength(108);
    expect(j.tensors.every((t: { type: string }) => t.type === 'F32')).toBe(true);
    expect(j.totalBytes).toBe(13642240); // the last data_offsets end in the header
    expect(j.fileBytes).toBe(statSync(join(HF_STANDIN(), 'model.safetensors')).size);
    expect(j.rawConfig.attention_types).toEqual([[['global', 'local'], 4]]);
    expect(j.config.attentionLayers).toHaveLength(8);
    expect(j.generation).toEqual({ temperature: 0.7, topK: 40, topP: 1, repetitionPenalty: 1, maxNewTokens: 64 });
  });

  it('takes a hub id, with or without --revision', () => {
    const env = { ...process.env, HF_ENDPOINT: join(HF_STANDIN(), '..', '..') };
    const r = tinytalk(['inspect', 'TheREZOR/TinyTalk', '--json'], { env });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'hf', path: HF_STANDIN(), parameters: 3410560 });
    const main = tinytalk(['inspect', 'TheREZOR/TinyTalk', '--revision', 'main', '--json'], { env });
    expect(JSON.parse(main.stdout)).toMatchObject({ format: 'hf', path: HF_STANDIN() });
    const clash = tinytalk(['inspect', 'TheREZOR/TinyTalk@v2', '--revision', 'main'], { env });
    expect([clash.status, clash.stderr]).toEqual([1, 'tinytalk: TheREZOR/TinyTalk@v2 names revision v2 but --revision says main: give one\n']);
  });

  it('prints a table by default', () => {
    const r = tinytalk(['inspect', V2_MODEL()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^format\s+CRDP firmware blob, version 2$/m);
    expect(r.stdout).toMatch(/^parameters\s+3,410,560$/m);
    expect(r.stdout).toMatch(/^\s+transformer\.wte\.weight\s+\[14019, 128\]\s+Q4_0.*\s1,009,368$/m);
    expect(r.stdout).toMatch(/^\s+total\s+2,067,160$/m);
    expect(r.stdout).toMatch(/^\s+windowSize\s+256$/m);
  });

  it('reports a damaged file as one line on stderr, exit 1', () => {
    const dir = scratchDir();
    const bad = join(dir, 'model.bin');
    writeFileSync(bad, bytesOf(V2_MODEL()).subarray(0, 500_000));
    const r = tinytalk(['inspect', bad, '--tokenizer', V2_TOKENIZER()]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tinytalk: ${bad}: size: expected at least 2067224 bytes for the sections the header describes, found 500000 bytes (truncated, or a header lying about its sizes)\n`);
  });
});

// Firmware export: the shipped CRDP v2/v3 blobs and CTK2 tokenizers come back byte for byte,
// also from the float32 stand-in (the 1.5 round-trip property), the C sources follow 6.4, the
// quantizer matches the documented blocks, and the flash budget says what to change.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cSource } from '../../src/core/export/csource.js';
import { writeCrdp } from '../../src/core/formats/crdp.js';
import { writeCtk2 } from '../../src/core/formats/ctk2.js';
import { checkFlashBudget, firmwareFiles, firmwareFootprint } from '../../src/core/export/firmware.js';
import { quantizeQ4, quantizeQ8 } from '../../src/core/formats/quant.js';
import { readCrdp } from '../../src/core/formats/crdp.js';
import { loadCtk2, parseCtk2 } from '../../src/core/formats/ctk2.js';
import { UsageError } from '../../src/core/errors.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, V2_MODEL, V2_TOKENIZER, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';

const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

/** Index of the first differing byte, or -1 (a readable failure instead of a 2 MB diff). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('CRDP writer', () => {
  it.each([
    ['v2', V2_MODEL, 2],
    ['v3', V3_MODEL, 3],
  ] as const)('re-quantizes the %s blob’s own weights into the same bytes', (_, path, version) => {
    const blob = bytes(path());
    const m = readCrdp(blob, path());
    expect(m.header.version).toBe(version);
    const out = writeCrdp(m.config, m.weights, version);
    expect(out.length).toBe(blob.length);
    expect(firstDifference(out, blob)).toBe(-1);
  });

  it('writes the v2 blob from the float32 stand-in checkpoint (dequantized Q4 values re-quantize exactly)', async () => {
    const model = await loadModel(HF_STANDIN());
    expect(model.weights.wte.type).toBe('f32');
    const out = writeCrdp(model.config, model.weights, 2);
    expect(firstDifference(out, bytes(V2_MODEL()))).toBe(-1);
  });

  it('refuses a model the firmware cannot run', async () => {
    const m = readCrdp(bytes(V2_MODEL()), 'v2');
    const D = m.config.hiddenSize;
    const bias = { q: new Float32Array(D), k: new Float32Array(D).fill(0.25), v: new Float32Array(D) };
    const biased = m.weights.layers.map((l) => ({ ...l, qkvBias: bias }));
    expect(() => writeCrdp(m.config, { ...m.weights, layers: biased }, 2)).toThrow(UsageError); // GPT-Neo has no q/k/v biases
    expect(() => writeCrdp({ ...m.config, windowSize: 64 }, m.weights, 2)).toThrow(UsageError); // local attention within 256 positions
  });
});

describe('Q4_0 quantizer (firmware-format.md 1.4–1.5)', () => {
  it('reproduces the documented first embedding block from its dequantized values', () => {
    const block = [0x6c, 0xbc, 0x5a, 0x4b, 0xee, 0x99, 0xc7, 0x28, 0xe0, 0x7a, 0x89, 0xa0, 0x93, 0x42, 0xb3, 0xac, 0x27, 0x4e];
    const scale = new Float32Array(new Uint32Array([(block[1]! << 24) | (block[0]! << 16)]).buffer)[0]!;
    expect(scale).toBeCloseTo(-0.0144043, 6);
    const x = new Float32Array(32);
    for (let k = 0; k < 16; k++) {
      x[k] = Math.fround(scale * ((block[2 + k]! & 15) - 8));
      x[k + 16] = Math.fround(scale * ((block[2 + k]! >> 4) - 8));
    }
    expect(Array.from(x.subarray(0, 5), (v) => Number(v.toPrecision(7)))).toEqual([-0.02880859, -0.04321289, -0.08642578, -0.0144043, 0.0144043]);
    expect(Object.is(x[5], -0)).toBe(true);
    const q = quantizeQ4(x, 1, 32, 'bf16');
    expect([q.scales[0]! & 0xff, q.scales[0]! >> 8, ...q.nibbles]).toEqual(block);
  });

  it('writes an all-zero block as scale 0 and codes 8', () => {
    const q = quantizeQ4(new Float32Array(32), 1, 32, 'bf16');
    expect(q.scales[0]).toBe(0);
    expect([...q.nibbles]).toEqual(new Array(16).fill(0x88));
  });

  it('gives the largest-magnitude weight code 0 and a scale of the opposite sign', () => {
    const x = Float32Array.from({ length: 32 }, (_, i) => (i === 5 ? 0.5 : i / 100));
    const q = quantizeQ4(x, 1, 32, 'bf16');
    expect(q.scales[0]).toBe(0xbd80); // bf16 of 0.5 / −8 = −0.0625
    expect(q.nibbles[5]! & 15).toBe(0);
  });
});

describe('Q8_0 quantizer (ggml quantize_row_q8_0)', () => {
  it('scales by max|x| / 127 in fp16 and rounds codes half away from zero', () => {
    const x = new Float32Array(32);
    x.set([127, -2.5, 2.5, 0.49, -0.5, 0.5, -126.5]);
    const q = quantizeQ8(x, 1, 32, 'f16');
    expect(q.scales[0]).toBe(0x3c00); // fp16 1.0
    expect([...q.codes.subarray(0, 8)]).toEqual([127, -3, 3, 0, -1, 1, -127, 0]);
    const ramp = quantizeQ8(Float32Array.from({ length: 32 }, (_, j) => j - 16), 1, 32, 'f16');
    expect(ramp.scales[0]).toBe(0x3008); // fp16 of 16/127 = 0.1259766
    expect(ramp.codes[0]).toBe(-127);
    expect([...ramp.codes.subarray(17, 20)]).toEqual([8, 16, 24]); // 1, 2, 3 × 7.9375 rounded
  });
});

describe('CTK2 writer', () => {
  it.each([
    ['v2', V2_TOKENIZER],
    ['v3', V3_TOKENIZER],
  ] as const)('writes the %s tokenizer back byte for byte from the loaded tokenizer', (_, path) => {
    const blob = bytes(path());
    const out = writeCtk2(loadCtk2(blob, path()).vocab());
    expect(firstDifference(out, blob)).toBe(-1);
    expect(parseCtk2(out, 'rewritten').merges).toEqual(parseCtk2(blob, path()).merges);
  });
});

describe('C sources (firmware-format.md 6.4)', () => {
  it('formats a small blob exactly', () => {
    const blob = Uint8Array.from({ length: 18 }, (_, i) => (i * 37) & 0xff);
    expect(cSource(blob, 'TOKENIZER_DATA')).toBe(
      '// AUTO-GENERATED by tinytalk convert --to firmware --c-source. Do not edit.\n' +
        '#include <stdint.h>\n#include <stddef.h>\n\n' +
        'extern "C" const uint8_t TOKENIZER_DATA[] __attribute__((aligned(4))) = {\n' +
        '  0x00,0x25,0x4a,0x6f,0x94,0xb9,0xde,0x03,0x28,0x4d,0x72,0x97,0xbc,0xe1,0x06,0x2b,\n' +
        '  0x50,0x75,\n' +
        '};\n\n' +
        'extern "C" const size_t TOKENIZER_DATA_LEN = 18;\n',
    );
  });

  it('gives tok_data.cpp the documented size for the shipped tokenizer (1,159,076 bytes, with a first line 4 characters shorter)', () => {
    expect(cSource(bytes(V2_TOKENIZER()), 'TOKENIZER_DATA').length).toBe(1_159_076 + 4);
  });

  it('is written with both blobs when asked', () => {
    const model = readCrdp(bytes(V3_MODEL()), 'v3');
    const tokenizer = loadCtk2(bytes(V3_TOKENIZER()), 'v3 tok');
    const out = firmwareFiles({ ...model, tokenizer }, 3, true);
    expect([...out.files.keys()]).toEqual(['TINYTLK.BIN', 'TINYTLK.TOK', 'model_data.cpp', 'tok_data.cpp']);
    expect(out.files.get('model_data.cpp')).toMatch(/\nextern "C" const size_t MODEL_DATA_LEN = 1998240;\n$/);
  });
});

describe('flash budget', () => {
  const model = { ...readCrdp(bytes(V2_MODEL()), 'v2'), tokenizer: loadCtk2(bytes(V2_TOKENIZER()), 'tok') };

  it('predicts the blob sizes', () => {
    const f = firmwareFootprint(model, 2);
    expect(f.modelBytes).toBe(2_067_224);
    expect(f.tokenizerBytes).toBe(223_389);
  });

  it('says whether it fits, and what to change when it does not', () => {
    expect(checkFlashBudget(model, 2, 2_300_000)).toMatch(/fits/);
    expect(() => checkFlashBudget(model, 2, 2_200_000)).toThrow(/over by 90,613: prune about [\d,]+ more tokens .*--min-count.*, or keep 177 fewer position rows \(--max-positions 79/);
  });
});

/** The bytes a C source of 6.4 declares, read back from its hex lines. */
function cSourceBytes(text: string): Uint8Array {
  const body = text.slice(text.indexOf('= {\n') + 4, text.indexOf('\n};'));
  return Uint8Array.from(body.match(/0x[0-9a-f]{2}/g)!, (h) => parseInt(h, 16));
}

describe('tinytalk convert --to firmware', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinytalk-fw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns the float32 stand-in into the shipped v2 blob, tokenizer and matching C sources', () => {
    const out = join(dir, 'v2');
    const r = tinytalk(['convert', HF_STANDIN(), '--to', 'firmware', '--c-source', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CRDP v2: 14,019 tokens, 256 positions, model 2,067,224 bytes \+ tokenizer 223,389 bytes/);
    expect(readdirSync(out).sort()).toEqual(['model_data.cpp', 'model_neo_q4.bin', 'tok_data.cpp', 'tok_neo.bin']);
    expect(firstDifference(bytes(join(out, 'model_neo_q4.bin')), bytes(V2_MODEL()))).toBe(-1);
    expect(firstDifference(bytes(join(out, 'tok_neo.bin')), bytes(V2_TOKENIZER()))).toBe(-1);
    const modelCpp = readFileSync(join(out, 'model_data.cpp'), 'utf8');
    // 6.4's layout; the first line names tinytalk, not the firmware's converter script
    expect(modelCpp.startsWith('// AUTO-GENERATED by tinytalk convert --to firmware --c-source. Do not edit.\n#include <stdint.h>\n')).toBe(true);
    expect(modelCpp).toContain('extern "C" const uint8_t MODEL_DATA[] __attribute__((aligned(4))) = {\n');
    expect(modelCpp.endsWith('};\n\nextern "C" const size_t MODEL_DATA_LEN = 2067224;\n')).toBe(true);
    expect(firstDifference(cSourceBytes(modelCpp), bytes(V2_MODEL()))).toBe(-1);
    const tokCpp = readFileSync(join(out, 'tok_data.cpp'), 'utf8');
    // the firmware repository's tok_data.cpp size (6.4), whose first line is 4 characters shorter
    expect(tokCpp.length).toBe(1_159_076 + 4);
    expect(firstDifference(cSourceBytes(tokCpp), bytes(V2_TOKENIZER()))).toBe(-1);
  });

  it('converts the shipped v3 blob back into itself with --version 3, and refuses to overwrite', () => {
    const out = join(dir, 'v3');
    const r = tinytalk(['convert', V3_MODEL(), '--to', 'firmware', '--version', '3', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CRDP v3: 12,062 tokens, 80 positions, model 1,998,240 bytes \+ tokenizer 190,681 bytes/);
    expect(firstDifference(bytes(join(out, 'TINYTLK.BIN')), bytes(V3_MODEL()))).toBe(-1);
    expect(firstDifference(bytes(join(out, 'TINYTLK.TOK')), bytes(V3_TOKENIZER()))).toBe(-1);
    const again = tinytalk(['convert', V3_MODEL(), '--to', 'firmware', '--version', '3', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^tinytalk: .*TINYTLK\.BIN already exists \(use --force/);
    const bad = tinytalk(['convert', V3_MODEL(), '--to', 'firmware', '--version', '4', '--out', join(dir, 'v4')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/option '--version <n>' argument '4' is invalid\. Allowed choices are 2, 3/);
  });
});

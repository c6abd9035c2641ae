// CRDP model blobs against firmware-format.md §1 and §11, and against each other: the v2 blob,
// the v3 blob and the Hugging Face stand-in all hold the same TinyTalk weights.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crdpLayout, q4RowBytes, readCrdp, readCrdpHeader, type CrdpHeader } from '../../src/core/formats/crdp.js';
import { parseCtk2 } from '../../src/core/formats/ctk2.js';
import { parseSafetensors, tensorFloat32 } from '../../src/core/formats/safetensors.js';
import { dequantize, dequantizeRow } from '../../src/core/formats/quant.js';
import { parameterCount } from '../../src/core/neo/model.js';
import type { NeoLayerWeights } from '../../src/core/neo/weights.js';
import type { Q4Matrix } from '../../src/core/neo/tensor.js';
import { HF_STANDIN, V2_MODEL, V2_TOKENIZER, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';
import { bytesOf, decodeQ4Blocks, sameFloats } from './util.js';

const v2Bytes = bytesOf(V2_MODEL());
const v3Bytes = bytesOf(V3_MODEL());
const v2 = readCrdp(v2Bytes, V2_MODEL());
const v3 = readCrdp(v3Bytes, V3_MODEL());
const f32 = (xs: number[]) => xs.map(Math.fround);
const MATRICES = ['q', 'k', 'v', 'out', 'fc', 'proj'] as const;

describe('CRDP v2 (firmware-format.md §1)', () => {
  it('reads the header of §1.2', () => {
    const hex = '43524450 02000000 80000000 00020000 08000000 10000000 10000000 c3360000 00010000 01 04 02';
    expect(Buffer.from(v2Bytes.subarray(0, 39)).toString('hex')).toBe(hex.replaceAll(' ', ''));
    expect(v2.header).toEqual({
      version: 2, dim: 128, hiddenDim: 512, nLayers: 8, nHeads: 16, nKvHeads: 16,
      vocabSize: 14019, seqLen: 256, sharedClassifier: 1, quantType: 4, arch: 2,
    });
  });

  it('derives the GPT-Neo configuration', () => {
    expect(v2.config).toEqual({
      vocabSize: 14019, hiddenSize: 128, numLayers: 8, numHeads: 16, intermediateSize: 512,
      maxPositions: 256, windowSize: 256,
      attentionLayers: ['global', 'local', 'global', 'local', 'global', 'local', 'global', 'local'],
      layerNormEpsilon: 1e-5, activation: 'gelu_new', bosId: 14018, eosId: 14018,
      tieWordEmbeddings: true, attentionScale: 1,
    });
  });

  it('places every section at the offsets of §1.3', () => {
    const { sections, end } = crdpLayout(v2.header);
    expect(sections.map((s) => s.offset)).toEqual([
      64, 4160, 8256, 12352, 16448, 16960, 17472, 21568, 37952, 42048,
      173120, 1182488, 1256216, 1329944, 1403672, 1477400, 1772312,
    ]);
    expect(sections.map((s) => s.bytes)).toEqual([
      4096, 4096, 4096, 4096, 512, 512, 4096, 16384, 4096, 131072,
      1009368, 73728, 73728, 73728, 73728, 294912, 294912,
    ]);
    expect(end).toBe(2067224);
    expect(end).toBe(v2Bytes.byteLength);
    expect(q4RowBytes(128, 2)).toBe(72);
    expect(q4RowBytes(512, 2)).toBe(288);
  });

  it('reads the sample values of §1.3', () => {
    const w = v2.weights;
    expect(Array.from(w.layers[0]!.ln1.weight.subarray(0, 4))).toEqual(f32([0.9661827, 0.9616583, 0.9826082, 0.94117576]));
    expect(Array.from(w.lnF.weight.subarray(0, 4))).toEqual(f32([4.3424044, 4.398617, 3.3022757, 4.319966]));
    expect(Array.from(w.wpe.subarray(0, 4))).toEqual(f32([-0.0028400058, 0.035905864, -0.022196516, 0.018067462]));
    const wte = w.wte as Q4Matrix;
    expect(wte.type).toBe('q4_0');
    expect(wte.scaleType).toBe('bf16');
    expect(wte.scales[0]).toBe(0xbc6c);
    expect(Buffer.from(wte.nibbles.subarray(0, 16)).toString('hex')).toBe('5a4bee99c728e07a89a09342b3ac274e');
    const row = new Float32Array(128);
    dequantizeRow(wte, 0, row);
    const want = [-0.02880859, -0.04321289, -0.08642578, -0.0144043, 0.0144043, -0.0];
    want.forEach((x, i) => expect(row[i]).toBeCloseTo(x, 7));
    expect(Object.is(row[5], -0)).toBe(true);
  });

  it('keeps the fp32 sections as views into the file (zero-copy)', () => {
    expect(v2.weights.wpe.buffer).toBe(v2Bytes.buffer);
    expect(v2.weights.layers[3]!.fcBias.buffer).toBe(v2Bytes.buffer);
    expect(v2.weights.wpe.length).toBe(256 * 128);
  });

  it('keeps Q4 quantized and has the block properties of §1.4', () => {
    const mats: Q4Matrix[] = [v2.weights.wte as Q4Matrix, ...v2.weights.layers.flatMap((l) => MATRICES.map((k) => l[k] as Q4Matrix))];
    for (const m of mats) expect(m.type).toBe('q4_0');
    expect(mats.reduce((n, m) => n + m.scales.length, 0)).toBe(105228);
    let zeroScales = 0;
    let blocksWithoutCode0 = 0;
    for (const m of mats) {
      for (let b = 0; b < m.scales.length; b++) {
        if ((m.scales[b]! & 0x7fff) === 0) zeroScales++;
        let has0 = false;
        for (let k = 0; k < 16; k++) {
          const byte = m.nibbles[16 * b + k]!;
          if ((byte & 15) === 0 || byte >> 4 === 0) has0 = true;
        }
        if (!has0) blocksWithoutCode0++;
      }
    }
    expect(zeroScales).toBe(0);
    expect(blocksWithoutCode0).toBe(0);
  });

  it('agrees with an independent decoding of every Q4 section', () => {
    const { sections } = crdpLayout(v2.header);
    const q4 = sections.filter((s) => s.type === 'Q4_0');
    const ours = [dequantize(v2.weights.wte), ...MATRICES.map((k) => concat(v2.weights.layers.map((l) => dequantize(l[k]))))];
    q4.forEach((s, i) => {
      const blocks = s.bytes / 18;
      expect(sameFloats(ours[i]!, decodeQ4Blocks(v2Bytes, s.offset, blocks))).toBe(true);
    });
  });

  it('counts the 3,410,560 stored values of §1.3', () => {
    expect(parameterCount(v2.tensors)).toBe(3410560);
    expect(v2.tensors.reduce((n, t) => n + t.bytes, 0) + 64).toBe(2067224);
  });

  it('does not need the file to be aligned (copies instead of viewing)', () => {
    const shifted = new Uint8Array(v2Bytes.byteLength + 1).subarray(1);
    shifted.set(v2Bytes);
    const m = readCrdp(shifted, 'shifted.bin');
    expect(m.weights.wpe.buffer).not.toBe(shifted.buffer);
    expect(sameFloats(m.weights.wpe, v2.weights.wpe)).toBe(true);
    expect(sameFloats(m.weights.layers[7]!.ln2.bias, v2.weights.layers[7]!.ln2.bias)).toBe(true);
  });
});

describe('CRDP v3 (firmware-format.md §11)', () => {
  it('reads the header and the row-planar layout', () => {
    expect(v3.header).toMatchObject({ version: 3, dim: 128, hiddenDim: 512, nLayers: 8, vocabSize: 12062, seqLen: 80 });
    expect(q4RowBytes(128, 3)).toBe(80);
    expect(q4RowBytes(1024, 3)).toBe(576);
    const { sections, end } = crdpLayout(v3.header);
    expect(end).toBe(v3Bytes.byteLength);
    // The float32 sections end at 83,008, already on a 16-byte boundary.
    expect(sections[10]!.offset).toBe(83008);
    expect(v3.config.maxPositions).toBe(80);
    expect(v3.config.eosId).toBe(12061);
  });

  it('reproduces the size §11 gives for the TinyTalk 2 blob (dim 256, vocabulary 12,929)', () => {
    // 8 layers, MLP 1024 and 256 positions (TinyTalk 2's config) give exactly 5,746,896 bytes
    // when a row of 256 weights is 16 + 128 = 144 bytes (§11's "160" contradicts its own rule).
    const h: CrdpHeader = { version: 3, dim: 256, hiddenDim: 1024, nLayers: 8, nHeads: 16, nKvHeads: 16, vocabSize: 12929, seqLen: 256, sharedClassifier: 1, quantType: 4, arch: 2 };
    expect(q4RowBytes(256, 3)).toBe(144);
    expect(crdpLayout(h).end).toBe(5746896);
  });

  it('holds the same float32 sections as v2 (80 of the 256 position rows)', () => {
    const a = v2.weights, b = v3.weights;
    expect(sameFloats(b.wpe, a.wpe.subarray(0, 80 * 128))).toBe(true);
    expect(sameFloats(b.lnF.weight, a.lnF.weight) && sameFloats(b.lnF.bias, a.lnF.bias)).toBe(true);
    for (let l = 0; l < 8; l++) {
      const x = a.layers[l]!, y = b.layers[l]!;
      for (const k of ['outBias', 'fcBias', 'projBias'] as const) expect(sameFloats(y[k], x[k])).toBe(true);
      for (const k of ['ln1', 'ln2'] as const) {
        expect(sameFloats(y[k].weight, x[k].weight) && sameFloats(y[k].bias, x[k].bias)).toBe(true);
      }
    }
  });

  it('holds the same layer matrices as v2', () => {
    for (let l = 0; l < 8; l++) {
      for (const k of MATRICES) {
        const x = v2.weights.layers[l]![k], y = v3.weights.layers[l]![k];
        expect([y.rows, y.cols]).toEqual([x.rows, x.cols]);
        expect(sameFloats(dequantize(y), dequantize(x))).toBe(true);
      }
    }
  });

  it('holds the same embedding row for every token, matched by piece bytes', () => {
    const p2 = parseCtk2(bytesOf(V2_TOKENIZER()), V2_TOKENIZER()).pieces;
    const p3 = parseCtk2(bytesOf(V3_TOKENIZER()), V3_TOKENIZER()).pieces;
    const key = (p: Uint8Array) => Buffer.from(p).toString('latin1');
    const v2Id = new Map(p2.map((p, id) => [key(p), id]));
    const a = new Float32Array(128), b = new Float32Array(128);
    let compared = 0;
    p3.forEach((piece, id3) => {
      const id2 = v2Id.get(key(piece));
      if (id2 === undefined) return;
      dequantizeRow(v2.weights.wte, id2, a);
      dequantizeRow(v3.weights.wte, id3, b);
      if (!sameFloats(a, b)) throw new Error(`token ${JSON.stringify(key(piece))}: v2 row ${id2} ≠ v3 row ${id3}`);
      compared++;
    });
    // Every token the calculator blob kept is also in the v2 vocabulary.
    expect(compared).toBe(12062);
  });
});

describe('the Hugging Face stand-in', () => {
  const st = parseSafetensors(bytesOf(join(HF_STANDIN(), 'model.safetensors')), 'model.safetensors');
  const get = (name: string) => tensorFloat32(st.tensors.get(`transformer.${name}`)!);

  it('is the v2 blob dequantized, exactly', () => {
    const w = v2.weights;
    expect(sameFloats(get('wte.weight'), dequantize(w.wte))).toBe(true);
    expect(sameFloats(get('wpe.weight'), w.wpe)).toBe(true);
    expect(sameFloats(get('ln_f.weight'), w.lnF.weight) && sameFloats(get('ln_f.bias'), w.lnF.bias)).toBe(true);
    const names: Record<(typeof MATRICES)[number], string> = {
      q: 'attn.attention.q_proj.weight', k: 'attn.attention.k_proj.weight', v: 'attn.attention.v_proj.weight',
      out: 'attn.attention.out_proj.weight', fc: 'mlp.c_fc.weight', proj: 'mlp.c_proj.weight',
    };
    const vectors: Array<[string, (l: NeoLayerWeights) => Float32Array]> = [
      ['ln_1.weight', (l) => l.ln1.weight], ['ln_1.bias', (l) => l.ln1.bias],
      ['ln_2.weight', (l) => l.ln2.weight], ['ln_2.bias', (l) => l.ln2.bias],
      ['attn.attention.out_proj.bias', (l) => l.outBias], ['mlp.c_fc.bias', (l) => l.fcBias], ['mlp.c_proj.bias', (l) => l.projBias],
    ];
    w.layers.forEach((layer, l) => {
      for (const k of MATRICES) expect(sameFloats(get(`h.${l}.${names[k]}`), dequantize(layer[k]))).toBe(true);
      for (const [name, pick] of vectors) expect(sameFloats(get(`h.${l}.${name}`), pick(layer))).toBe(true);
    });
  });
});

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

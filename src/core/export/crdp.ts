// CRDP writer: the firmware's model blob (firmware-format.md 1.2–1.5; version 3 layout in section 11).
//
// Version 2: 64-byte header, float32 sections back to back, then Q4_0 blocks (bf16 scale +
// 16 nibble bytes, 18 bytes each). Version 3: the same float32 sections, zero padding to a
// 16-byte boundary, then Q4_0 rows stored row-planar (the row's scales, padding to 16 bytes,
// then its nibbles). Every matrix is quantized from its float32 values with the converter's
// quantizer, so converting a blob's own weights gives the blob back byte for byte.
import { UsageError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import type { NeoWeights } from '../neo/weights.js';
import { QBLOCK, type Matrix, type Q4Matrix } from '../neo/tensor.js';
import { quantizeMatrix } from '../formats/quant.js';

export type CrdpVersion = 2 | 3;

const HEADER = 64;

/** Bytes of one quantized row of n inputs in the given layout. */
function rowBytes(n: number, version: CrdpVersion): number {
  const nb = n / QBLOCK;
  return version === 2 ? nb * 18 : align16(nb * 2) + nb * 16;
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** Checks the model fits what the GPT-Neo firmware can run; returns the header numbers. */
function firmwareShape(config: NeoConfig, weights: NeoWeights) {
  const D = config.hiddenSize;
  const F = config.intermediateSize;
  const L = config.numLayers;
  const V = weights.wte.rows;
  const P = weights.wpe.length / D;
  const refuse = (why: string) => {
    throw new UsageError(`cannot write a firmware blob: ${why}`);
  };
  if (config.attentionScale !== 1 || weights.layers.some((l) => l.qkvBias)) {
    refuse('the model has attention scaling or q/k/v biases (a GPT-2 re-expression); the firmware runs GPT-Neo only');
  }
  if (D % QBLOCK !== 0 || F % QBLOCK !== 0) refuse(`hidden size ${D} and MLP size ${F} must be multiples of ${QBLOCK}`);
  if (D % config.numHeads !== 0) refuse(`hidden size ${D} is not a multiple of ${config.numHeads} heads`);
  if (P > config.windowSize) refuse(`${P} positions exceed the local-attention window ${config.windowSize}, which the firmware does not implement (use --max-positions)`);
  if (V >= 65535) refuse(`${V} tokens do not fit the tokenizer's 16-bit ids (prune the vocabulary)`);
  return { D, F, L, V, P };
}

/** The blob for a GPT-Neo model (quantizing every matrix to Q4_0 with a bf16 scale). */
export function writeCrdp(config: NeoConfig, weights: NeoWeights, version: CrdpVersion = 2): Uint8Array {
  const { D, F, L, V, P } = firmwareShape(config, weights);
  const layers = weights.layers;
  const floats: Float32Array[] = [
    ...layers.map((l) => l.ln1.weight),
    ...layers.map((l) => l.ln1.bias),
    ...layers.map((l) => l.ln2.weight),
    ...layers.map((l) => l.ln2.bias),
    weights.lnF.weight,
    weights.lnF.bias,
    ...layers.map((l) => l.outBias),
    ...layers.map((l) => l.fcBias),
    ...layers.map((l) => l.projBias),
    weights.wpe,
  ];
  const matrices: Array<[string, Matrix]> = [
    ['wte', weights.wte],
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.q`, l.q]),
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.k`, l.k]),
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.v`, l.v]),
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.out`, l.out]),
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.fc`, l.fc]),
    ...layers.map((l, i): [string, Matrix] => [`h.${i}.proj`, l.proj]),
  ];
  const floatBytes = floats.reduce((s, f) => s + f.byteLength, 0);
  const q4Start = version === 2 ? HEADER + floatBytes : align16(HEADER + floatBytes);
  const q4Bytes = matrices.reduce((s, [, m]) => s + m.rows * rowBytes(m.cols, version), 0);
  const out = new Uint8Array(q4Start + q4Bytes);
  const view = new DataView(out.buffer);

  // Header (1.2)
  out.set([0x43, 0x52, 0x44, 0x50], 0); // "CRDP"
  const ints = [version, D, F, L, config.numHeads, config.numHeads, V, P];
  ints.forEach((v, i) => view.setInt32(4 + 4 * i, v, true));
  out[36] = 1; // shared classifier
  out[37] = 4; // Q4_0
  out[38] = 2; // GPT-Neo

  let o = HEADER;
  for (const f of floats) {
    for (let i = 0; i < f.length; i++) view.setFloat32(o + 4 * i, f[i]!, true);
    o += f.byteLength;
  }
  o = q4Start;
  for (const [name, m] of matrices) {
    const q = quantizeMatrix(m, 'q4_0', 'bf16', name) as Q4Matrix;
    o = writeQ4Rows(out, o, q, version);
  }
  return out;
}

/** Q4 rows in the blob's layout, starting at byte o; returns the end offset. */
function writeQ4Rows(out: Uint8Array, o: number, q: Q4Matrix, version: CrdpVersion): number {
  const nb = q.cols / QBLOCK;
  for (let r = 0; r < q.rows; r++) {
    if (version === 2) {
      for (let b = 0; b < nb; b++) {
        const blk = r * nb + b;
        out[o] = q.scales[blk]! & 0xff;
        out[o + 1] = q.scales[blk]! >> 8;
        out.set(q.nibbles.subarray(blk * 16, blk * 16 + 16), o + 2);
        o += 18;
      }
    } else {
      for (let b = 0; b < nb; b++) {
        out[o + 2 * b] = q.scales[r * nb + b]! & 0xff;
        out[o + 2 * b + 1] = q.scales[r * nb + b]! >> 8;
      }
      o += align16(nb * 2);
      out.set(q.nibbles.subarray(r * nb * 16, (r + 1) * nb * 16), o);
      o += nb * 16;
    }
  }
  return o;
}

/** Size of the blob writeCrdp would produce, without quantizing (for flash budgets). */
export function crdpSize(config: NeoConfig, vocab: number, positions: number, version: CrdpVersion): number {
  const D = config.hiddenSize;
  const F = config.intermediateSize;
  const L = config.numLayers;
  const floatBytes = 4 * (4 * L * D + 2 * D + 2 * L * D + L * F + positions * D);
  const q4Start = version === 2 ? HEADER + floatBytes : align16(HEADER + floatBytes);
  const rows = vocab * rowBytes(D, version) + L * (4 * D * rowBytes(D, version) + F * rowBytes(D, version) + D * rowBytes(F, version));
  return q4Start + rows;
}

// The version-3 firmware's sampler (firmware-format.md 11.3): temperature 0 is argmax; otherwise
// logits / T and a full softmax, one draw per token, then with top-p ≥ 1 the v2 multinomial walk,
// and with top-p < 1 a nucleus taken among the 64 most likely tokens: they are collected in a
// small array (a token replaces the current minimum only when strictly greater; the minimum is
// found again by a linear scan, lowest slot on ties), insertion-sorted in descending order, cut
// where the running float32 sum first reaches top-p, and walked to draw × the kept sum.
import { UsageError } from '../errors.js';
import { firmwareSoftmax } from '../firmware/numerics.js';
import { FirmwareSampler } from './firmware-sampler.js';
import { XorShift64Star } from './rng.js';
import { argmax, checkTemperature } from './sampler.js';

const fr = Math.fround;

/** Candidates the nucleus is taken from. */
const TOP_P_CAP = 64;

export class FirmwareV3Sampler {
  private readonly temperature: number;
  private readonly topP: number;
  private readonly rng: XorShift64Star;
  /** top-p ≥ 1: exactly the v2 sampler. */
  private readonly full: FirmwareSampler | undefined;
  private readonly prob = new Float32Array(TOP_P_CAP);
  private readonly id = new Int32Array(TOP_P_CAP);

  constructor(temperature: number, topP: number, seed: number | bigint) {
    checkTemperature(temperature);
    if (!(topP > 0 && topP <= 1)) throw new UsageError(`top-p must be in (0, 1], got ${topP}`);
    this.temperature = fr(temperature);
    this.topP = fr(topP);
    this.rng = new XorShift64Star(seed);
    this.full = this.topP >= 1 ? new FirmwareSampler(temperature, seed) : undefined;
  }

  /** Picks the next id; overwrites logits (V) with the probabilities, as the device does. */
  sample(logits: Float32Array): number {
    if (this.full) return this.full.sample(logits);
    if (this.temperature === 0) return argmax(logits);
    const V = logits.length;
    for (let i = 0; i < V; i++) logits[i] = fr(logits[i]! / this.temperature);
    firmwareSoftmax(logits, 0, V);
    const coin = this.rng.nextFloat();
    const { prob, id } = this;
    // the 64 largest probabilities, in slots: the first 64 tokens, then replacements of the minimum
    let n = 0;
    let lo = 0;
    for (let i = 0; i < V; i++) {
      const p = logits[i]!;
      if (n < TOP_P_CAP) {
        prob[n] = p;
        id[n] = i;
        if (++n === TOP_P_CAP) lo = minSlot(prob);
      } else if (p > prob[lo]!) {
        prob[lo] = p;
        id[lo] = i;
        lo = minSlot(prob);
      }
    }
    // descending, stable
    for (let i = 1; i < n; i++) {
      const p = prob[i]!, t = id[i]!;
      let j = i - 1;
      while (j >= 0 && prob[j]! < p) {
        prob[j + 1] = prob[j]!;
        id[j + 1] = id[j]!;
        j--;
      }
      prob[j + 1] = p;
      id[j + 1] = t;
    }
    let kept = 0;
    let cut = n;
    for (let i = 0; i < n; i++) {
      kept = fr(kept + prob[i]!);
      if (kept >= this.topP) {
        cut = i + 1;
        break;
      }
    }
    const target = fr(coin * kept);
    let cdf = 0;
    for (let i = 0; i < cut; i++) {
      cdf = fr(cdf + prob[i]!);
      if (target < cdf) return id[i]!;
    }
    return id[cut - 1]!;
  }
}

/** Slot of the smallest value, the lowest slot on ties. */
function minSlot(p: Float32Array): number {
  let lo = 0;
  for (let j = 1; j < p.length; j++) if (p[j]! < p[lo]!) lo = j;
  return lo;
}

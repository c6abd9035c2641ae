// The firmware's sampler (firmware-format.md section 4): temperature 0 → argmax (lowest id on
// ties, no draw); otherwise logits / T in float32, full softmax (3.6), one draw, float32 cumulative
// sum, first id with u < cumulative (V − 1 if none). No top-k, top-p or penalties on the device.
import { XorShift64Star } from './rng.js';
import { argmax, checkTemperature } from './sampler.js';
import { firmwareSoftmax } from '../firmware/numerics.js';

const fr = Math.fround;

export class FirmwareSampler {
  private readonly temperature: number;
  private readonly rng: XorShift64Star;

  constructor(temperature: number, seed: number | bigint) {
    checkTemperature(temperature);
    this.temperature = fr(temperature);
    this.rng = new XorShift64Star(seed);
  }

  /** Picks the next id; overwrites logits (V) with the probabilities, as the device does. */
  sample(logits: Float32Array): number {
    if (this.temperature === 0) return argmax(logits);
    const n = logits.length;
    for (let i = 0; i < n; i++) logits[i] = fr(logits[i]! / this.temperature);
    firmwareSoftmax(logits, 0, n);
    const u = this.rng.nextFloat();
    let cdf = 0;
    for (let i = 0; i < n; i++) {
      cdf = fr(cdf + logits[i]!);
      if (u < cdf) return i;
    }
    return n - 1;
  }
}

// The firmware's random numbers (firmware-format.md section 4): xorshift64*, seed 0 → 0xC0FFEE,
// a 24-bit uniform float per draw. Used by both samplers so a seed means the same stream everywhere.
const MASK = (1n << 64n) - 1n;
const MULT = 0x2545f4914f6cdd1dn;

export class XorShift64Star {
  private s: bigint;

  constructor(seed: number | bigint) {
    const s = BigInt(seed) & MASK;
    this.s = s === 0n ? 0xc0ffeen : s;
  }

  /** The next 32-bit output: high half of s × 0x2545F4914F6CDD1D after the xorshift step. */
  nextU32(): number {
    let s = this.s;
    s ^= s >> 12n;
    s ^= (s << 25n) & MASK;
    s ^= s >> 27n;
    this.s = s;
    return Number(((s * MULT) & MASK) >> 32n);
  }

  /** Uniform in [0, 1) with 24 bits, exact in float32. */
  nextFloat(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}

/** A seed for runs that did not ask for one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

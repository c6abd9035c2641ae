// Alignment: the file formats start their sections and tensors on multiples of 8, 16 or 32
// bytes, and the kernel memory hands out 16-byte aligned regions.

/** The least multiple of `alignment` that is at least n (n ≥ 0). */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

// The kernel memory and matmul over it: one WebAssembly memory holds the placed weights, the
// scratch that inputs and outputs are copied through and the thread control block; the SIMD
// kernels run on it. Shared (SharedArrayBuffer) where the platform allows, so that growing it
// never detaches views handed out earlier and workers can run the same kernels on it.
import type { Matrix } from '../neo/tensor.js';
import { compileKernels, instantiateKernels, kernelKind, type Kernels } from './module.js';
import { CONTROL_WORDS, gemmSliced, matmulSliced, stopWorkers } from './parallel.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB of address space, reserved not committed
const CONTROL_AT = 64; // byte offset of the thread control block; address 0 means "no bias"
const HEAP_START = 1024;
/** Products smaller than this many multiply-adds stay on one thread (waking workers costs µs). */
const PARALLEL_MIN_MACS = 1 << 17;
/** Output rows per panel of packed weights (the gemm kernel's tile width). */
export const PANEL_ROWS = 8;

export interface KernelMemory {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  shared: boolean;
  kernels: Kernels;
  /** Byte offset of the control block that workers of serveSlices() watch. */
  controlAt: number;
  /** End of the used part of the memory (regions below it are in use or in `free`). */
  top: number;
  /** Free regions below top: [offset, bytes, offset, bytes, ...] by offset. */
  free: number[];
  /** Frees the region of an array handed out once the array is garbage-collected. */
  owners: FinalizationRegistry<[number, number]>;
  scratchAt: number;
  scratchBytes: number;
  /** Buffers that are (were) this memory: one per size it has had when shared. */
  buffers: WeakSet<ArrayBufferLike>;
  /** Arrays copied in by placeArray() on a non-shared memory: their byte offset. */
  copies: WeakMap<ArrayBufferView, number>;
  /** Placed matrices' weights packed for gemm: (⌈rows/8⌉, cols, 8) float32 in the kernel memory. */
  panels: WeakMap<Matrix, Float32Array>;
  /** Threads taking part in large products (1 = only the caller). */
  threads: number;
  /** The control block (shared memory only). */
  control: Int32Array | null;
  /** Views of the whole memory, renewed when it grows. */
  u8: Uint8Array;
  f32: Float32Array;
}

let state: KernelMemory | null | undefined;

function createMemory(): KernelMemory | null {
  if (typeof WebAssembly !== 'object') return null;
  for (const shared of typeof SharedArrayBuffer === 'function' ? [true, false] : [false]) {
    try {
      const module = compileKernels(shared);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
      const kernels = instantiateKernels(module, memory);
      const buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);
      const control = shared ? new Int32Array(memory.buffer, CONTROL_AT, CONTROL_WORDS) : null;
      const k: KernelMemory = {
        module, memory, shared, kernels, controlAt: CONTROL_AT, top: HEAP_START, free: [], owners: undefined!, scratchAt: 0, scratchBytes: 0,
        buffers, copies: new WeakMap(), panels: new WeakMap(), threads: 1, control, u8: new Uint8Array(memory.buffer), f32: new Float32Array(memory.buffer),
      };
      k.owners = new FinalizationRegistry(([at, bytes]) => release(k, at, bytes));
      return k;
    } catch {
      // no SIMD, or no shared memory here: try the next option, or fall back to JavaScript
    }
  }
  return null;
}

/** The kernel memory, created on first use; null where WebAssembly SIMD is unavailable. */
export function kernelMemory(): KernelMemory | null {
  if (state === undefined) state = createMemory();
  return state;
}

/** False after setKernelBackend('js'): the kernels then run their plain-JS code. */
let wasmWanted = true;

export function setWasmWanted(on: boolean): void {
  wasmWanted = on;
}

/** False after setKernelBackend('js'). */
export function wasmIsWanted(): boolean {
  return wasmWanted;
}

/** The kernel memory when the WebAssembly kernels are to run (available and not switched off). */
export function wasmKernels(): KernelMemory | null {
  return wasmWanted ? kernelMemory() : null;
}

function grow(k: KernelMemory, end: number): void {
  const have = k.memory.buffer.byteLength;
  if (end > have) {
    k.memory.grow(Math.ceil((end - have) / PAGE));
    k.buffers.add(k.memory.buffer);
    k.u8 = new Uint8Array(k.memory.buffer);
    k.f32 = new Float32Array(k.memory.buffer);
  }
}

/** Reserves `bytes` in the kernel memory (16-byte aligned, first fit); returns its byte offset. */
function allocate(k: KernelMemory, bytes: number): number {
  const size = (bytes + 15) & ~15;
  const free = k.free;
  for (let i = 0; i < free.length; i += 2) {
    if (free[i + 1]! >= size) {
      const at = free[i]!;
      if (free[i + 1] === size) free.splice(i, 2);
      else (free[i] = at + size), (free[i + 1] = free[i + 1]! - size);
      return at;
    }
  }
  const at = k.top;
  grow(k, at + size);
  k.top = at + size;
  return at;
}

/** Returns a region to the kernel memory (merged with free neighbours). */
function release(k: KernelMemory, at: number, bytes: number): void {
  const size = (bytes + 15) & ~15;
  const free = k.free;
  let i = 0;
  while (i < free.length && free[i]! < at) i += 2;
  free.splice(i, 0, at, size);
  // [at, size, next at, next size] → [at, size + next size]; likewise with the region before
  if (i + 2 < free.length && free[i]! + free[i + 1]! === free[i + 2]) free.splice(i + 1, 3, free[i + 1]! + free[i + 3]!);
  if (i > 0 && free[i - 2]! + free[i - 1]! === free[i]) free.splice(i - 1, 3, free[i - 1]! + free[i + 1]!), (i -= 2);
  if (free[i]! + free[i + 1]! === k.top) (k.top = free[i]!), free.splice(i, 2);
}

/**
 * A view of a fresh region of the kernel memory (shared memory only). The region goes back to
 * the pool when this array object is garbage-collected, so keep the array itself referenced
 * (not only subarrays of it) while it is used.
 */
function ownedView<T extends Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array>(
  k: KernelMemory, Ctor: new (buffer: ArrayBufferLike, offset: number, length: number) => T, length: number,
): T {
  const bytes = length * Ctor.prototype.BYTES_PER_ELEMENT;
  const at = allocate(k, bytes); // before reading memory.buffer: it may grow
  const view = new Ctor(k.memory.buffer, at, length);
  k.owners.register(view, [at, bytes]);
  return view;
}

/** Byte offset of an array that lives in the kernel memory, or undefined. */
export function offsetOf(k: KernelMemory, a: ArrayBufferView): number | undefined {
  return k.buffers.has(a.buffer) ? a.byteOffset : k.copies.get(a);
}

/**
 * Puts an array into the kernel memory for good. Shared memory: returns a view there (the
 * original can be dropped). Otherwise returns the array itself, remembered with its copy —
 * views into a plain memory would be detached by the next grow. Either way the contents are
 * frozen: later writes to the original are not seen by the kernels.
 */
export function placeArray<T extends Float32Array | Uint16Array | Uint8Array | Int8Array>(k: KernelMemory, a: T): T {
  if (offsetOf(k, a) !== undefined) return a;
  if (k.shared) {
    const view = ownedView(k, a.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => T, a.length);
    view.set(a as never);
    return view;
  }
  const at = allocate(k, a.byteLength);
  copyIn(k, a, a.byteLength, at);
  k.copies.set(a, at);
  k.owners.register(a, [at, a.byteLength]);
  return a;
}

/** The typed arrays the kernels read and write in place. */
export type KernelArrayType = Float32ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Int32ArrayConstructor;

/**
 * An array for activations or caches (float32 unless `Type` says otherwise): in the kernel
 * memory when it is shared (no copies around the kernels; see ownedView for its lifetime), an
 * ordinary array otherwise.
 */
export function kernelArray<C extends KernelArrayType = Float32ArrayConstructor>(
  k: KernelMemory, length: number, Type: C = Float32Array as C,
): InstanceType<C> {
  type View = new (buffer: ArrayBufferLike, offset: number, length: number) => InstanceType<C>;
  return k.shared ? ownedView(k, Type as unknown as View, length) : (new Type(length) as InstanceType<C>);
}

/**
 * A kernel's own working array (scores, row tables), reused across calls: it only ever grows,
 * and its contents are not kept when it does. In the kernel memory when that is shared.
 */
export class KernelScratch<C extends KernelArrayType> {
  private array: InstanceType<C> | null = null;

  constructor(
    private readonly Type: C,
    /** The least length it is made with, so that small requests do not grow it step by step. */
    private readonly minLength: number,
  ) {}

  /** At least `length` elements. */
  get(k: KernelMemory, length: number): InstanceType<C> {
    if (!this.array || this.array.length < length) this.array = kernelArray(k, Math.max(length, this.minLength), this.Type);
    return this.array;
  }
}

/** matmulWasm's region that inputs outside the kernel memory are copied through (it only ever grows). */
function scratch(k: KernelMemory, bytes: number): number {
  if (bytes > k.scratchBytes) {
    if (k.scratchBytes > 0) release(k, k.scratchAt, k.scratchBytes);
    k.scratchBytes = Math.max(bytes, 2 * k.scratchBytes);
    k.scratchAt = allocate(k, k.scratchBytes);
  }
  return k.scratchAt;
}

const pad16 = (bytes: number): number => (bytes + 15) & ~15;

function copyIn(k: KernelMemory, a: ArrayBufferView, bytes: number, at: number): void {
  if (a instanceof Float32Array && (at & 3) === 0) {
    // no view objects for the per-token inputs: a plain loop (inputs are a few hundred floats)
    const f32 = k.f32;
    const o = at >> 2;
    for (let i = 0; i < bytes >> 2; i++) f32[o + i] = a[i]!;
  } else {
    k.u8.set(new Uint8Array(a.buffer, a.byteOffset, bytes), at);
  }
}

/**
 * y (n, rows) = x (n, cols) · Wᵀ (+ bias) with the SIMD kernels. Arrays already in the kernel
 * memory are used in place; the others are copied through scratch (weights on every call, so
 * place weights once with placeWeights(), and activations with kernelArray(), for speed).
 */
export function matmulWasm(k: KernelMemory, y: Float32Array, x: Float32Array, w: Matrix, n: number, bias?: Float32Array): void {
  const { rows, cols } = w;
  const xBytes = 4 * n * cols;
  const yBytes = 4 * n * rows;
  const main = w.type === 'q4_0' || w.type === 'q8_0' ? w.scales : w.data;
  const aux = w.type === 'q4_0' ? w.nibbles : w.type === 'q8_0' ? w.codes : undefined;
  let xAt = offsetOf(k, x);
  let wAt = offsetOf(k, main);
  let auxAt = aux ? offsetOf(k, aux) : 0;
  let biasAt = bias ? offsetOf(k, bias) : 0;
  let yAt = offsetOf(k, y);
  const need =
    (xAt === undefined ? pad16(xBytes) : 0) +
    (wAt === undefined ? pad16(main.byteLength) : 0) +
    (auxAt === undefined ? pad16(aux!.byteLength) : 0) +
    (biasAt === undefined ? pad16(bias!.byteLength) : 0) +
    (yAt === undefined ? yBytes : 0);
  if (need > 0) {
    let o = scratch(k, need);
    if (xAt === undefined) copyIn(k, x, xBytes, (xAt = o)), (o += pad16(xBytes));
    if (wAt === undefined) copyIn(k, main, main.byteLength, (wAt = o)), (o += pad16(main.byteLength));
    if (auxAt === undefined) copyIn(k, aux!, aux!.byteLength, (auxAt = o)), (o += pad16(aux!.byteLength));
    if (biasAt === undefined) copyIn(k, bias!, bias!.byteLength, (biasAt = o)), (o += pad16(bias!.byteLength));
    if (yAt === undefined) yAt = o;
  }
  const panels = gemmPanels(k, w);
  if (panels) {
    const count = Math.ceil(rows / PANEL_ROWS);
    const pAt = offsetOf(k, panels)!;
    const threads = Math.min(k.threads, count);
    if (threads > 1 && n * rows * cols >= PARALLEL_MIN_MACS) gemmSliced(k.kernels, k.control!, threads, yAt!, xAt!, pAt, biasAt!, n, rows, cols);
    else k.kernels.gemm(yAt!, xAt!, pAt, biasAt!, n, rows, cols, 0, count);
  } else {
    matmulRows(k, yAt!, xAt!, wAt!, auxAt!, biasAt!, w, n);
  }
  if (offsetOf(k, y) === undefined) {
    const f32 = k.f32;
    const o = yAt! >> 2;
    for (let i = 0; i < n * rows; i++) y[i] = f32[o + i]!;
  }
}

/**
 * W's panels when placeWeights() packed them: every product over a placed matrix, one token or
 * many, runs the gemm kernel (one summation order, so a row's result never depends on the rows
 * computed with it); the row-dot kernel reads matrices that were not placed.
 */
export function gemmPanels(k: KernelMemory, w: Matrix): Float32Array | undefined {
  return k.panels.get(w);
}

/** The row-dot kernel (the stored matrix read row by row), rows split over the threads. */
function matmulRows(k: KernelMemory, yAt: number, xAt: number, wAt: number, auxAt: number, biasAt: number, w: Matrix, n: number): void {
  const { rows, cols } = w;
  const kind = kernelKind(w);
  const threads = Math.min(k.threads, rows >> 2);
  if (threads > 1 && n * rows * cols >= PARALLEL_MIN_MACS) {
    matmulSliced(k.kernels, k.control!, threads, kind, yAt, xAt, wAt, auxAt, biasAt, n, rows, cols);
  } else {
    k.kernels.matmul(kind, yAt, xAt, wAt, auxAt, biasAt, n, rows, cols, 0, rows);
  }
}

/**
 * dst (rows, cols) = the float32 values of w, decoded by the SIMD kernel (exact: a 16-bit float
 * or a block scale times a small integer). dst must be a view of the shared kernel memory
 * (kernelArray()); returns false, writing nothing, where it is not.
 */
export function expandWasm(k: KernelMemory, dst: Float32Array, w: Matrix): boolean {
  return decodeWasm(k, dst, w, w.rows * w.cols, (kind, dstAt, wAt, auxAt) => k.kernels.expand(kind, dstAt, wAt, auxAt, w.rows, w.cols));
}

/**
 * panels = the float32 values of w packed for gemm, (⌈rows/8⌉, cols, 8) as placeWeights() packs
 * them, by the kernel; the same conditions on panels as expandWasm's on dst.
 */
export function packWasm(k: KernelMemory, panels: Float32Array, w: Matrix): boolean {
  return decodeWasm(k, panels, w, Math.ceil(w.rows / PANEL_ROWS) * PANEL_ROWS * w.cols, (kind, dstAt, wAt, auxAt) => {
    const group = allocate(k, 4 * PANEL_ROWS * w.cols); // (8, cols) one panel's rows, decoded
    k.kernels.pack(kind, dstAt, wAt, auxAt, w.rows, w.cols, group);
    release(k, group, 4 * PANEL_ROWS * w.cols);
  });
}

/** Runs `decode` on the offsets of dst and of w's arrays (copied in for the call if outside the memory). */
function decodeWasm(k: KernelMemory, dst: Float32Array, w: Matrix, length: number, decode: (kind: number, dstAt: number, wAt: number, auxAt: number) => void): boolean {
  const dstAt = offsetOf(k, dst);
  if (!k.shared || dstAt === undefined || dst.length < length) return false;
  const main = w.type === 'q4_0' || w.type === 'q8_0' ? w.scales : w.data;
  const aux = w.type === 'q4_0' ? w.nibbles : w.type === 'q8_0' ? w.codes : undefined;
  // stored arrays outside the memory pass through a temporary region (weights are copied once)
  const temp = (a: ArrayBufferView | undefined): [number, number] => {
    if (!a) return [0, 0];
    const at = offsetOf(k, a);
    if (at !== undefined) return [at, 0];
    const t = allocate(k, a.byteLength);
    copyIn(k, a, a.byteLength, t);
    return [t, a.byteLength];
  };
  const [wAt, wTemp] = temp(main);
  const [auxAt, auxTemp] = temp(aux);
  decode(kernelKind(w), dstAt, wAt, auxAt);
  if (wTemp) release(k, wAt, wTemp);
  if (auxTemp) release(k, auxAt, auxTemp);
  return true;
}

/** Sets how many threads (the caller included) split large products; workers must be serving. */
export function setKernelThreads(k: KernelMemory, threads: number): void {
  k.threads = Math.max(1, Math.floor(threads));
}

/** Wakes every worker serving this memory and tells it to return. */
export function releaseWorkers(k: KernelMemory): void {
  if (k.control) stopWorkers(k.control);
  k.threads = 1;
}

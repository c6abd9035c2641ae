// The training kernels of kernels.as ("training" section) on a memory of their own: each training
// thread owns one instance, so threads never share kernel scratch and a run stays reproducible.
// The memory is sized once (an arena of float32 buffers) and never grows, so the views handed
// out stay valid; a plain (not shared) memory, so pages without cross-origin isolation have it.
import { UsageError } from '../errors.js';
import { compileKernels } from './module.js';
import { wasmIsWanted } from './wasm.js';

export interface TrainKernels {
  gemmStrided(c: number, a: number, b: number, bias: number, M: number, N: number, K: number, sam: number, sak: number, ldb: number, ldc: number, accumulate: number): void;
  transpose(dst: number, src: number, rows: number, cols: number): void;
  addInto(dst: number, a: number, b: number, count: number): void;
  columnSums(db: number, dy: number, N: number, C: number): void;
  layernormForward(out: number, mean: number, rstd: number, inp: number, w: number, b: number, N: number, D: number, eps: number): void;
  layernormBackward(dinp: number, dw: number, db: number, dout: number, inp: number, w: number, mean: number, rstd: number, N: number, D: number): void;
  geluForward(out: number, inp: number, count: number): void;
  geluBackward(dinp: number, inp: number, dout: number, count: number): void;
  attentionForward(out: number, lse: number, q: number, k: number, v: number, B: number, T: number, D: number, NH: number, window: number, scale: number, scratch: number): void;
  attentionBackward(dq: number, dk: number, dv: number, dout: number, q: number, k: number, v: number, lse: number, B: number, T: number, D: number, NH: number, window: number, scale: number, scratch: number): void;
  crossEntropy(g: number, targets: number, losses: number, V: number, R: number, lossScale: number, scratch: number): void;
}

const PAGE = 65536;
const HEAP_START = 1024; // address 0 means "no bias"

let compiled: WebAssembly.Module | null | undefined;

/** The plain-memory kernel module, compiled once; null where WebAssembly SIMD is unavailable. */
function trainModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = typeof WebAssembly === 'object' ? compileKernels(false) : null;
    } catch {
      compiled = null; // no SIMD here
    }
  }
  return compiled;
}

/** True where the training kernels can run and are wanted (not after setKernelBackend('js')). */
export function trainKernelsAvailable(): boolean {
  return wasmIsWanted() && trainModule() !== null;
}

/** Float32 (or int32 / float64) buffers laid out first, then one memory made for all of them. */
export class KernelArena {
  private top = HEAP_START;
  private readonly pending: { at: number; length: number; Type: Float32ArrayConstructor | Int32ArrayConstructor | Float64ArrayConstructor; fill: (v: never) => void }[] = [];
  kernels!: TrainKernels;
  memory!: WebAssembly.Memory;

  /** Reserves `length` elements; `bind` receives the view once the memory exists (after build()). */
  reserve<C extends Float32ArrayConstructor | Int32ArrayConstructor | Float64ArrayConstructor>(
    length: number, Type: C, bind: (view: InstanceType<C>) => void,
  ): void {
    const at = this.top;
    this.top += (length * Type.BYTES_PER_ELEMENT + 15) & ~15;
    this.pending.push({ at, length, Type, fill: bind as (v: never) => void });
  }

  /** Makes the memory and the kernel instance, and hands every reserved view to its binder. */
  build(): this {
    const module = trainModule();
    if (!module) throw new UsageError('the training kernels need WebAssembly SIMD, which this platform lacks');
    const pages = Math.ceil(this.top / PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const { exports } = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = exports as unknown as TrainKernels;
    for (const p of this.pending) p.fill(new p.Type(this.memory.buffer, p.at, p.length) as never);
    this.pending.length = 0;
    return this;
  }
}

/** Byte offset of a view of an arena's memory (what the kernels take as a pointer). */
export const at = (view: ArrayBufferView): number => view.byteOffset;

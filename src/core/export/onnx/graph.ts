// Builds an ONNX graph one operator at a time: inputs, outputs, initializers (weights and small
// constants) and nodes, each value named once. Operators follow the default domain at OPSET.
import { AttributeType, DataType, encodeModel, type AttributeProto, type Dim, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** Opset 21: LayerNormalization (17) and block-wise int4/int8 DequantizeLinear (21). */
export const OPSET = 21;
/** The IR version that opset 21 came with (ONNX 1.16). */
const IR_VERSION = 10n;

export type Attribute = { int: number } | { float: number } | { ints: readonly number[] } | { string: string };

/** Bytes of a typed array, as ONNX's raw_data stores them (little-endian, as every JS engine here is). */
export function bytesOf(a: Float32Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function attribute(name: string, a: Attribute): AttributeProto {
  if ('int' in a) return { name, type: AttributeType.INT, i: BigInt(a.int) };
  if ('float' in a) return { name, type: AttributeType.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints.map(BigInt) };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.string) };
}

function valueInfo(name: string, elemType: DataType, dims: readonly (number | string)[]): ValueInfoProto {
  const dim: Dim[] = dims.map((d) => (typeof d === 'number' ? { dimValue: BigInt(d) } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh value name, `base` itself when it is still free. */
  private fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX value ${name} is defined twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: DataType, dims: readonly (number | string)[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares an already computed value as a graph output. */
  output(name: string, elemType: DataType, dims: readonly (number | string)[]): void {
    if (!this.names.has(name)) throw new Error(`ONNX output ${name} is never computed`);
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  initializer(name: string, dataType: DataType, dims: readonly number[], rawData: Uint8Array): string {
    this.initializers.push({ name: this.claim(name), dims: dims.map(BigInt), dataType, rawData });
    return name;
  }

  /** A float32 constant (a scalar when dims is empty), shared by every use of the same value. */
  float(values: readonly number[], dims: readonly number[] = []): string {
    return this.constant('float', DataType.FLOAT, values, dims, () => bytesOf(Float32Array.from(values)));
  }

  /** An int64 constant (shapes, axes, indices). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant('int64', DataType.INT64, values, dims, () => bytesOf(BigInt64Array.from(values, BigInt)));
  }

  private constant(kind: string, type: DataType, values: readonly number[], dims: readonly number[], raw: () => Uint8Array): string {
    const key = `${kind}[${dims.join(',')}]${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.fresh(`const_${kind}_${values.length === 1 ? values[0] : this.constants.size}`);
      this.initializers.push({ name, dims: dims.map(BigInt), dataType: type, rawData: raw() });
      this.constants.set(key, name);
    }
    return name;
  }

  /** One node with one output; returns the output's name (`name`, or a fresh one after the operator). */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, name?: string): string {
    const out = name === undefined ? this.fresh(`${opType}_${this.nodes.length}`) : this.claim(name);
    for (const i of inputs) if (i !== '' && !this.names.has(i)) throw new Error(`ONNX node ${opType} reads ${i} before it is defined`);
    this.nodes.push({
      name: `${opType}_${this.nodes.length}`,
      opType,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** The .onnx file. */
  encode(graphName: string, docString: string, metadata: Record<string, string>): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: 'tinytalk',
      docString,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      opsetImport: [{ domain: '', version: BigInt(OPSET) }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

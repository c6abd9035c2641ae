// The part of ONNX's protobuf schema (onnx.proto, proto2) that a decoder-only transformer needs,
// declared as a descriptor so that @bufbuild/protobuf does the wire encoding. Field numbers are
// ONNX's; oneofs and enums are declared as the plain optional fields and int32s they encode as
// (the bytes are the same), and fields tinytalk never writes are left out.
import { create, createFileRegistry, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { FieldDescriptorProto_Label, FieldDescriptorProto_Type, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';

/** TensorProto.DataType values tinytalk writes. */
export const DataType = { FLOAT: 1, INT8: 3, INT64: 7, BOOL: 9, FLOAT16: 10, INT4: 22 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values tinytalk writes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: bigint[];
  dataType: DataType;
  /** little-endian element bytes (INT4: two per byte, the first in the low nibble) */
  rawData: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: (typeof AttributeType)[keyof typeof AttributeType];
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: TensorProto;
  ints?: bigint[];
}

export interface NodeProto {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

/** A dimension: a size, or the name of a size fixed at run time. */
export type Dim = { dimValue: bigint } | { dimParam: string };

export interface ValueInfoProto {
  name: string;
  type: { tensorType: { elemType: DataType; shape: { dim: Dim[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: bigint;
  producerName: string;
  docString: string;
  graph: GraphProto;
  opsetImport: { domain: string; version: bigint }[];
  metadataProps: { key: string; value: string }[];
}

const T = FieldDescriptorProto_Type;
type Field = [name: string, number: number, type: FieldDescriptorProto_Type | string, repeated?: 'repeated'];

/** message name → its fields; a string type names another message of the schema. */
const MESSAGES: Record<string, Field[]> = {
  ModelProto: [
    ['ir_version', 1, T.INT64],
    ['producer_name', 2, T.STRING],
    ['doc_string', 6, T.STRING],
    ['graph', 7, 'GraphProto'],
    ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
  ],
  OperatorSetIdProto: [
    ['domain', 1, T.STRING],
    ['version', 2, T.INT64],
  ],
  StringStringEntryProto: [
    ['key', 1, T.STRING],
    ['value', 2, T.STRING],
  ],
  GraphProto: [
    ['node', 1, 'NodeProto', 'repeated'],
    ['name', 2, T.STRING],
    ['initializer', 5, 'TensorProto', 'repeated'],
    ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'],
  ],
  NodeProto: [
    ['input', 1, T.STRING, 'repeated'],
    ['output', 2, T.STRING, 'repeated'],
    ['name', 3, T.STRING],
    ['op_type', 4, T.STRING],
    ['attribute', 5, 'AttributeProto', 'repeated'],
  ],
  AttributeProto: [
    ['name', 1, T.STRING],
    ['f', 2, T.FLOAT],
    ['i', 3, T.INT64],
    ['s', 4, T.BYTES],
    ['t', 5, 'TensorProto'],
    ['ints', 8, T.INT64, 'repeated'],
    ['type', 20, T.INT32],
  ],
  TensorProto: [
    ['dims', 1, T.INT64, 'repeated'],
    ['data_type', 2, T.INT32],
    ['name', 8, T.STRING],
    ['raw_data', 9, T.BYTES],
  ],
  ValueInfoProto: [
    ['name', 1, T.STRING],
    ['type', 2, 'TypeProto'],
  ],
  TypeProto: [['tensor_type', 1, 'TypeProto_Tensor']],
  TypeProto_Tensor: [
    ['elem_type', 1, T.INT32],
    ['shape', 2, 'TensorShapeProto'],
  ],
  TensorShapeProto: [['dim', 1, 'TensorShapeProto_Dimension', 'repeated']],
  TensorShapeProto_Dimension: [
    ['dim_value', 1, T.INT64],
    ['dim_param', 2, T.STRING],
  ],
};

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'onnx.proto',
    package: 'onnx',
    syntax: 'proto2',
    messageType: Object.entries(MESSAGES).map(([name, fields]) => ({
      name,
      field: fields.map(([field, number, type, repeated]) => ({
        name: field,
        number,
        label: repeated ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
        ...(typeof type === 'string' ? { type: T.MESSAGE, typeName: `.onnx.${type}` } : { type }),
      })),
    })),
  }),
  () => undefined,
);

const modelSchema: DescMessage = registry.getMessage('onnx.ModelProto')!;

/** The .onnx file of a model. */
export function encodeModel(model: ModelProto): Uint8Array {
  // the init shape of a runtime-built schema is untyped; ModelProto above is its typed form
  return toBinary(modelSchema, create(modelSchema, model as unknown as Parameters<typeof create>[1]));
}

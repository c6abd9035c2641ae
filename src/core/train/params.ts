// Every trainable GPT-Neo tensor in one flat float32 buffer (llm.c's ParameterTensors), named as
// in Hugging Face checkpoints, plus the conversions to and from the engine's NeoWeights.
import { FormatError, UsageError } from '../errors.js';
import { tensorFloat32, type Safetensors, type TensorToWrite } from '../formats/safetensors.js';
import { dequantize } from '../formats/quant.js';
import type { NeoConfig } from '../neo/config.js';
import { buildNeoModel, getParameter, neoParameters } from '../neo/parameters.js';
import type { Matrix } from '../neo/tensor.js';
import type { NeoModel, NeoWeights } from '../neo/weights.js';

export interface ParamTensor {
  name: string; // Hugging Face name, e.g. transformer.h.0.mlp.c_fc.weight
  shape: number[];
  offset: number; // first element in the flat buffer
  size: number;
}

/** Where each tensor starts in the flat buffer, under the names of NeoWeights (wte (V, D) is also the tied classifier). */
export interface ParamLayout extends NeoModel<number, number> {
  config: NeoConfig;
  tensors: ParamTensor[];
  total: number;
}

/** Where each tensor lives in the flat buffer, in checkpoint order. */
export function paramLayout(config: NeoConfig): ParamLayout {
  if (!config.tieWordEmbeddings) throw new UsageError('training needs tied word embeddings (classifier = wte), as GPT-Neo/TinyTalk has');
  const sizes = { V: config.vocabSize, D: config.hiddenSize, F: config.intermediateSize, P: config.maxPositions };
  const tensors: ParamTensor[] = [];
  let total = 0;
  const offsets = buildNeoModel<number, number>(config.numLayers, (p) => {
    const shape = p.shape(sizes);
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name: `transformer.${p.name}`, shape, offset: total, size });
    total += size;
    return total - size;
  });
  return { ...offsets, config, tensors, total };
}

/** The model's weights as float32 in the flat layout (quantized matrices are dequantized). */
export function paramsFromWeights(layout: ParamLayout, w: NeoWeights, buffer?: Float32Array): Float32Array {
  const p = buffer ?? new Float32Array(layout.total);
  if (w.layers.some((l) => l.qkvBias)) throw new UsageError('training supports GPT-Neo weights without q/k/v biases (this model has them)');
  for (const param of neoParameters(layout.config.numLayers)) {
    const value = getParameter(w, param);
    p.set(param.matrix ? dequantize(value as Matrix) : (value as Float32Array), getParameter(layout, param));
  }
  return p;
}

/** NeoWeights viewing the flat buffer (f32 matrices, no copies): for generation and export. */
export function weightsFromParams(layout: ParamLayout, p: Float32Array): NeoWeights {
  const c = layout.config;
  const sizes = { V: c.vocabSize, D: c.hiddenSize, F: c.intermediateSize, P: c.maxPositions };
  return buildNeoModel(c.numLayers, (param) => {
    const shape = param.shape(sizes);
    const o = getParameter(layout, param);
    const data = p.subarray(o, o + shape.reduce((a, b) => a * b, 1));
    return param.matrix ? { type: 'f32' as const, rows: shape[0]!, cols: shape[1]!, data } : data;
  }) as NeoWeights;
}

/** Parameters read by name from a safetensors file (a checkpoint of this layout), converted to float32. */
export function paramsFromSafetensors(layout: ParamLayout, st: Safetensors): Float32Array {
  const p = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const found = st.tensors.get(t.name);
    if (!found) throw new FormatError(st.file, `tensor "${t.name}"`, `present with shape [${t.shape.join(', ')}]`, 'missing');
    if (found.shape.join(',') !== t.shape.join(',')) {
      throw new FormatError(st.file, `tensor "${t.name}" shape`, `[${t.shape.join(', ')}]`, `[${found.shape.join(', ')}]`);
    }
    p.set(tensorFloat32(found), t.offset);
  }
  return p;
}

/** A flat buffer as safetensors tensors (F32, checkpoint order), e.g. for model.safetensors or optimizer moments. */
export function paramsToTensors(layout: ParamLayout, p: Float32Array): TensorToWrite[] {
  return layout.tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: p.subarray(t.offset, t.offset + t.size) }));
}

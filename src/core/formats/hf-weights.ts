// GPT-Neo weights in a Hugging Face checkpoint's model.safetensors, both ways: read by name
// (`transformer.` prefix optional) into NeoWeights, and written in checkpoint order as
// transformers' save_pretrained lays them out. The names and shapes are neo/parameters.ts's.
import { f32ToBf16, f32ToF16 } from '../bytes/halfs.js';
import { FormatError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import { buildNeoModel, getParameter, neoParameters } from '../neo/parameters.js';
import type { Matrix } from '../neo/tensor.js';
import type { NeoWeights } from '../neo/weights.js';
import { neoForm } from './neo-form.js';
import { dequantize } from './quant.js';
import { tensorFloat32, tensorMatrix, type Safetensors, type SafetensorsDtype, type TensorToWrite } from './safetensors.js';

/**
 * GPT-Neo weights from Hugging Face tensor names (`transformer.` prefix optional). Matrices keep
 * their stored type (f32 views, or raw f16/bf16); vectors become float32. lm_head, when present,
 * is the tied copy of wte and is not read.
 */
export function neoWeightsFromSafetensors(st: Safetensors, config: NeoConfig): NeoWeights {
  const sizes = { V: config.vocabSize, D: config.hiddenSize, F: config.intermediateSize, P: config.maxPositions };
  const prefix = st.tensors.has('transformer.wte.weight') || !st.tensors.has('wte.weight') ? 'transformer.' : '';
  return buildNeoModel(config.numLayers, (p) => {
    const key = prefix + p.name;
    const shape = p.shape(sizes);
    const t = st.tensors.get(key);
    if (!t) throw new FormatError(st.file, `tensor "${key}"`, `a tensor of shape [${shape.join(', ')}]`, 'none (missing)');
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(st.file, `tensor "${key}" shape`, `[${shape.join(', ')}] (from config.json)`, `[${t.shape.join(', ')}]`);
    }
    return p.matrix ? tensorMatrix(t) : tensorFloat32(t);
  }) as NeoWeights;
}

/** The weights under GPT-Neo's names; a model in GPT-2 form is first turned back into GPT-Neo's (neo-form.ts). */
export function neoTensors(config: NeoConfig, weights: NeoWeights, dtype: SafetensorsDtype): TensorToWrite[] {
  const { config: c, weights: w } = neoForm(config, weights);
  const encode = (x: Float32Array): Float32Array | Uint16Array =>
    dtype === 'F32' ? x : Uint16Array.from(x, dtype === 'F16' ? f32ToF16 : f32ToBf16);
  const sizes = { V: w.wte.rows, D: c.hiddenSize, F: c.intermediateSize, P: w.wpe.length / c.hiddenSize };
  return neoParameters(c.numLayers).map((p) => {
    const value = getParameter(w, p);
    const x = p.matrix ? dequantize(value as Matrix) : (value as Float32Array);
    return { name: `transformer.${p.name}`, dtype, shape: p.shape(sizes), data: encode(x) };
  });
}

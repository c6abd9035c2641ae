// A model folder as transformers.js loads it (`pipeline('text-generation', folder)`):
// config.json, generation_config.json, tokenizer.json, tokenizer_config.json and the decoder
// under the name transformers.js gives its dtype. config.json's `transformers.js_config.dtype`
// names the variant written, so transformers.js picks that file without being told.
import { hfConfigFiles, type HfExportable } from '../hf.js';
import { neoOnnxModel } from './decoder.js';
import type { OnnxWeights } from './weights.js';

/** transformers.js's file name for each dtype. */
export const ONNX_MODEL_FILES: Record<OnnxWeights, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

const KEPT = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** file name (relative, `/`-separated) → bytes. */
export function onnxFolderFiles(model: HfExportable, weights: OnnxWeights = 'fp32'): Map<string, Uint8Array> {
  const frame = hfConfigFiles(model, 'F32', { 'transformers.js_config': { dtype: weights } });
  const files = new Map(KEPT.map((name) => [name, frame.get(name)!]));
  files.set(ONNX_MODEL_FILES[weights], neoOnnxModel(model, weights));
  return files;
}

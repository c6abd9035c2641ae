// "tinytalk/formats": the model files tinytalk understands, read from bytes in memory — Hugging Face
// safetensors and config.json, the firmware's CRDP and CTK2 blobs, GGUF — and the model assembled
// from them.
export {
  DTYPE_BYTES, parseSafetensors, safetensorsInfo, tensorFloat32, tensorMatrix, writeSafetensors,
  type SafeTensor, type Safetensors, type SafetensorsDtype, type TensorToWrite,
} from '../formats/safetensors.js';
export { neoConfigFromJson, parseGenerationConfig, parseHfConfig } from '../formats/hf-config.js';
export { neoWeightsFromSafetensors } from '../formats/hf-weights.js';
export {
  CRDP_ARCH_GPT_NEO, CRDP_HEADER_BYTES, CRDP_LAYER_NORM_EPSILON, CRDP_MAGIC, CRDP_QUANT_Q4_0, CRDP_WINDOW_SIZE,
  crdpConfig, crdpLayout, q4RowBytes, readCrdp, readCrdpHeader,
  type CrdpHeader, type CrdpModel, type CrdpSection, type CrdpVersion,
} from '../formats/crdp.js';
export { CTK2_MAGIC, CTK2_MAX_VOCAB, CTK2_MERGES_OFFSET, loadCtk2, parseCtk2, type Ctk2 } from '../formats/ctk2.js';
export { GGML_TYPE, ggmlTypeName, parseGguf, writeGguf, type Gguf, type GgufTensor, type GgufValue } from '../formats/gguf.js';
export { readGpt2Gguf, type Gpt2GgufModel } from '../formats/gguf-gpt2.js';
export { sniffFormat, type SniffedFormat } from '../formats/sniff.js';
export { modelFromCrdp, modelFromGguf, modelFromHfFiles, type HfFiles } from '../load/model.js';
export { parameterCount } from '../neo/model.js';

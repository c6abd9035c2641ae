// Exporting TinyTalk, in memory (Node and browser): quantizers, firmware blobs and C sources,
// vocabulary pruning, Hugging Face checkpoints, GGUF files and ONNX folders for transformers.js;
// and evaluation.
export { quantizeQ4, quantizeQ8, quantizeMatrix, type QuantType } from './quantize.js';
export { writeCrdp, crdpSize, type CrdpVersion } from './crdp.js';
export { writeCtk2 } from './ctk2.js';
export { cSource, MODEL_SYMBOL, TOKENIZER_SYMBOL } from './csource.js';
export { firmwareFiles, firmwareFootprint, checkFlashBudget, FIRMWARE_NAMES, type FirmwareModel, type FirmwareFiles } from './firmware.js';
export { pruneModel, keptTokenIds, countTokens, type PruneOptions, type PruneResult } from './prune.js';
export { hfCheckpointFiles, type HfExportable, type HfExportOptions } from './hf.js';
export { neoOnnxModel, type OnnxExportable } from './onnx/decoder.js';
export { onnxFolderFiles, ONNX_MODEL_FILES } from './onnx/folder.js';
export type { OnnxWeights } from './onnx/weights.js';
export { writeGpt2Gguf, readGpt2Gguf, modelFromGguf, type GgufType, type GgufSource } from './gguf-gpt2.js';
export { writeGguf, parseGguf, GGML_TYPE, type Gguf, type GgufTensor, type GgufValue } from './gguf.js';
export { evaluate, crossEntropy, blockLoss, type EvalOptions, type EvalResult } from '../eval/evaluate.js';

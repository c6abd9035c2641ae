// "tinytalk/export": TinyTalk turned into what other tools and devices take, in memory (Node and
// browser): quantizers, the firmware's blobs and C sources within a flash budget, vocabulary
// pruning, Hugging Face checkpoints, llama.cpp GGUF files and ONNX folders for transformers.js.
export { quantizeMatrix, quantizeQ4, quantizeQ8, type QuantType } from '../formats/quant.js';
export { crdpSize, writeCrdp, type CrdpVersion } from '../formats/crdp.js';
export { ctk2Size, writeCtk2 } from '../formats/ctk2.js';
export { cSource, MODEL_SYMBOL, TOKENIZER_SYMBOL } from '../export/csource.js';
export { checkFlashBudget, FIRMWARE_NAMES, firmwareFiles, firmwareFootprint, type FirmwareFiles, type FirmwareModel } from '../export/firmware.js';
export { keptTokenIds, pruneModel, type PruneOptions, type PruneResult } from '../export/prune.js';
export { hfCheckpointFiles, type HfExportable, type HfExportOptions } from '../export/hf.js';
export { writeGpt2Gguf, type GgufSource, type GgufType } from '../formats/gguf-gpt2.js';
export { neoOnnxModel, type OnnxExportable } from '../export/onnx/decoder.js';
export { onnxFolderFiles, ONNX_MODEL_FILES } from '../export/onnx/folder.js';
export type { OnnxWeights } from '../export/onnx/weights.js';

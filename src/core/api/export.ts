// Exporting TinyTalk, in memory (Node and browser): quantizers, firmware blobs and C sources,
// vocabulary pruning, Hugging Face checkpoints and GGUF files; and evaluation.
export { quantizeQ4, quantizeQ8, quantizeMatrix, type QuantType } from '../formats/quant.js';
export { writeCrdp, crdpSize, type CrdpVersion } from '../formats/crdp.js';
export { writeCtk2 } from '../formats/ctk2.js';
export { cSource, MODEL_SYMBOL, TOKENIZER_SYMBOL } from '../export/csource.js';
export { firmwareFiles, firmwareFootprint, checkFlashBudget, FIRMWARE_NAMES, type FirmwareModel, type FirmwareFiles } from '../export/firmware.js';
export { pruneModel, keptTokenIds, countTokens, type PruneOptions, type PruneResult } from '../export/prune.js';
export { hfCheckpointFiles, type HfExportable, type HfExportOptions } from '../export/hf.js';
export { writeGpt2Gguf, readGpt2Gguf, type GgufType, type GgufSource } from '../formats/gguf-gpt2.js';
export { modelFromGguf } from '../load/model.js';
export { writeGguf, parseGguf, GGML_TYPE, type Gguf, type GgufTensor, type GgufValue } from '../formats/gguf.js';
export { evaluate, crossEntropy, blockLoss, type EvalOptions, type EvalResult } from '../eval/evaluate.js';

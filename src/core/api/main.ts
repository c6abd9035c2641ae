// The package's main entry ("tinytalk"): errors, the model's types, engines, generation and the
// chat session, all platform-neutral. Load a model with `tinytalk/node` (files, the hub) or from
// bytes in memory (modelFromHfFiles, modelFromCrdp, modelFromGguf), then generate or chat with it.
export { FormatError, TinyTalkError, UsageError } from '../errors.js';
export { MODEL_CARD_DEFAULTS, type AttentionKind, type GenerationDefaults, type NeoConfig } from '../neo/config.js';
export { QBLOCK, type F32Matrix, type Half16Matrix, type Matrix, type Q4Matrix, type Q8Matrix, type ScaleType } from '../neo/tensor.js';
export type { LayerNorm, LayerNormWeights, NeoLayer, NeoLayerWeights, NeoModel, NeoWeights } from '../neo/weights.js';
export type { Model, ModelSource, TensorInfo } from '../neo/model.js';
export type { EncodeOptions, Merge, StreamDecoder, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';
export type { Engine, PrefillOptions, Sequence } from '../neo/engine.js';
export { modelFromCrdp, modelFromGguf, modelFromHfFiles, type HfFiles } from '../load/model.js';
export { Transformer, type TransformerOptions } from '../model/transformer.js';
export { FirmwareEngine, type FirmwareOptions } from '../firmware/firmware-engine.js';
export { FirmwareV3Engine, type FirmwareV3Options } from '../firmware/v3/engine.js';
export { firmwareEngine, firmwareVersionOf, type FirmwareVersion } from '../firmware/select.js';
export type { Slide } from '../firmware/v3/window.js';
export {
  encodePrompt, engineFor, generate, generateStream,
  type FinishReason, type GenerateOptions, type GeneratePiece, type GenerateResult,
} from '../generate/generate.js';
export { ChatSession, type ChatSettings, type ReplyFinish, type ReplyResult } from '../chat/session.js';
export { placeWeights, type PlaceOptions } from '../kernels/place.js';
export { kernelInfo, setKernelBackend, type KernelBackend } from '../kernels/matmul.js';

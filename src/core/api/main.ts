// tinytalk's platform-neutral core: runs the same in Node and in browsers. Load a model with
// `tinytalk/node` (files, the hub) or from bytes (modelFromHfFiles, modelFromCrdp), then
// generate or chat with it here.
export * from '../errors.js';
export * from '../neo/tensor.js';
export * from '../neo/config.js';
export type * from '../neo/weights.js';
export type * from '../neo/model.js';
export type * from '../neo/tokenizer.js';
export type { Engine, Sequence } from '../neo/engine.js';
export { modelFromHfFiles, modelFromCrdp, type HfFiles } from '../load/model.js';
export { Transformer, type TransformerOptions } from '../model/transformer.js';
export { FirmwareEngine } from '../firmware/firmware-engine.js';
export {
  generate, generateStream, engineFor, encodePrompt,
  type GenerateOptions, type GeneratePiece, type GenerateResult, type FinishReason,
} from '../generate/generate.js';
export { ChatSession, type ChatSettings, type ReplyResult } from '../chat/session.js';
export { placeWeights, type PlaceOptions } from '../kernels/place.js';
export { kernelInfo, setKernelBackend } from '../kernels/matmul.js';

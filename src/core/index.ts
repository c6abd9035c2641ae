// tinytalk's platform-neutral core: runs the same in Node and in browsers. Load a model with
// `tinytalk/node` (files, the hub) or from bytes (modelFromHfFiles, modelFromCrdp), then
// generate or chat with it here.
export * from './errors.js';
export * from './tensor.js';
export * from './model/config.js';
export type * from './model/weights.js';
export type * from './model/model.js';
export type * from './tokenizer/types.js';
export type { Engine, Sequence } from './model/engine.js';
export { modelFromHfFiles, modelFromCrdp, type HfFiles } from './model/load.js';
export { Transformer, type TransformerOptions } from './model/transformer.js';
export { FirmwareEngine } from './firmware/engine.js';
export { FirmwareV3Engine, type FirmwareV3Options } from './firmware/v3/engine.js';
export { firmwareEngine, firmwareVersionOf, type FirmwareVersion } from './firmware/select.js';
export type { Slide } from './firmware/v3/window.js';
export {
  generate, generateStream, engineFor, encodePrompt,
  type GenerateOptions, type GeneratePiece, type GenerateResult, type FinishReason,
} from './generate/generate.js';
export { ChatSession, type ChatSettings, type ReplyResult } from './chat/session.js';
export { placeWeights, type PlaceOptions } from './kernels/place.js';
export { kernelInfo, setKernelBackend } from './kernels/matmul.js';

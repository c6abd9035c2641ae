// tinytalk/formats: read (and write) the model files tinytalk understands, from bytes in memory.
export * from '../bytes/reader.js';
export * from '../formats/safetensors.js';
export * from '../formats/hf-config.js';
export * from '../formats/crdp.js';
export * from '../formats/ctk2.js';
export { modelFromHfFiles, modelFromCrdp, type HfFiles } from '../load/model.js';
export { neoWeightsFromSafetensors } from '../formats/hf-weights.js';
export { parameterCount } from '../neo/model.js';

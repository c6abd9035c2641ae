// tinytalk/formats: read (and write) the model files tinytalk understands, from bytes in memory.
export * from './reader.js';
export * from './safetensors.js';
export * from './hf-config.js';
export * from './crdp.js';
export * from './ctk2.js';
export { modelFromHfFiles, modelFromCrdp, neoWeightsFromSafetensors, safetensorsInfo, parameterCount, type HfFiles } from '../model/load.js';

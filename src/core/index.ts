// tinytalk's platform-neutral core: runs the same in Node and in browsers.
export * from './errors.js';
export * from './tensor.js';
export * from './model/config.js';
export type * from './model/weights.js';
export type * from './model/model.js';
export type * from './tokenizer/types.js';

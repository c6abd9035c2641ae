// tinytalk for Node: everything in the core plus files, the hub and the CLI's helpers.
export * from '../core/api/main.js';
export { loadModel, type LoadOptions } from './load.js';
export { writeFileAtomic } from './files.js';

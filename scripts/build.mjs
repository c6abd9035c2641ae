// Build, in order: the WebAssembly SIMD kernels, the TypeScript (the core checked to be
// platform-neutral, then Node and core together), and the chat page's bundle.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

// A fresh dist/: files moved or removed in src must not linger there as importable modules.
rmSync('dist', { recursive: true, force: true });
// WebAssembly SIMD kernels → src/core/kernels/generated/ (imported by the TypeScript below).
run('node', ['scripts/build-kernels.mjs']);
// The core must compile without Node's types: no node: imports, no Buffer/process.
run('npx', ['tsc', '-p', 'tsconfig.core.json']);
run('npx', ['tsc', '-p', 'tsconfig.json']);

// The chat page (src/web, which may import the core but never src/node): type-check, then bundle into dist/web.
run('npx', ['tsc', '-p', 'tsconfig.web.json']);
await (await import('./build-web.mjs')).buildWeb();

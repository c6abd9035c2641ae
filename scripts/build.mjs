// Build: compile the TypeScript (Node + core), check the core is platform-neutral.
// Later steps (WebAssembly kernels, the web page bundle) are added here in order.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
// The core must compile without Node's types: no node: imports, no Buffer/process.
run('npx', ['tsc', '-p', 'tsconfig.core.json']);
run('npx', ['tsc', '-p', 'tsconfig.json']);

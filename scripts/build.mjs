// Build: compile the TypeScript (Node + core), check the core is platform-neutral.
// Later steps (WebAssembly kernels, the web page bundle) are added here in order.
import { execFileSync } from 'node:child_process';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

// The core must compile without Node's types: no node: imports, no Buffer/process.
run('npx', ['tsc', '-p', 'tsconfig.core.json']);
run('npx', ['tsc', '-p', 'tsconfig.json']);

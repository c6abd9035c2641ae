// The committed build output is current: the WebAssembly kernels module embedded in
// src/core/kernels/generated/ is exactly what AssemblyScript makes now from kernels.as, so a clone
// or a package never runs stale kernels (and building needs no AssemblyScript until kernels.as
// changes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';
// @ts-expect-error: a build script, plain JavaScript without declarations
import { kernelsModule, sourceHash } from '../../scripts/build-kernels.mjs';

describe('generated kernels', () => {
  it('are what kernels.as compiles to now', async () => {
    const committed = readFileSync(join(ROOT, 'src/core/kernels/generated/kernels-wasm.ts'), 'utf8');
    expect(committed).toContain(`sha256 ${sourceHash()}`); // the build's up-to-date check agrees
    const fresh: string = await kernelsModule();
    // compared whole, not with toBe: a diff of two 29 KB base64 lines helps nobody
    expect(fresh === committed, 'src/core/kernels/generated/kernels-wasm.ts is stale: run npm run build and commit it').toBe(true);
  }, 300_000);
});

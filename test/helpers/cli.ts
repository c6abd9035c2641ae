// Runs the built `tinytalk` command as a user would (npm test builds dist/ first).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './shared.js';

export const BIN = join(ROOT, 'bin', 'tinytalk.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tinytalk(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, ...options });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

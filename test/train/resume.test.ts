// A run killed with SIGKILL and resumed gives the same per-step losses, bit for bit, as a run that
// was never interrupted (two threads, so the shared-memory reduction is covered too), in float32
// and quantization-aware (whose checkpoint keeps the master weights beside the Q4_0 model).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tinytalk } from '../helpers/cli.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { personaSlice, readMetrics } from './helpers.js';

const STEPS = 6;

describe.each(['none', 'q4'])('train --qat %s --resume after SIGKILL', (qat) => {
  it('continues the loss curve exactly as if uninterrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinytalk-resume-'));
    const data = personaSlice(0, 12, dir);
    const args = (out: string) => [
      'train', '--model', HF_STANDIN(), '--data', data, '--out', out, '--steps', String(STEPS), '--batch', '2',
      '--seq-len', '16', '--threads', '2', '--save-every', '1', '--val-every', '100', '--val-blocks', '2', '--lr', '1e-3', '--qat', qat, '--json',
    ];
    const straight = join(dir, 'straight');
    const a = tinytalk(args(straight));
    expect(a.status, a.stderr).toBe(0);
    const want = readMetrics(join(straight, 'metrics.jsonl')).filter((m) => m.loss !== undefined);
    expect(want.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);

    // kill the second run once it has checkpointed step 3
    const killed = join(dir, 'killed');
    const child = spawn(process.execPath, [BIN, ...args(killed)], { stdio: 'ignore' });
    const state = join(killed, 'model', 'training-state.json');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        try {
          if (existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).step >= 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        } catch {
          // the state file is replaced by a rename; a read can race it
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run ended before it could be killed'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    const stoppedAt = JSON.parse(readFileSync(state, 'utf8')).step as number;
    expect(stoppedAt).toBeLessThan(STEPS);

    const b = tinytalk([...args(killed), '--resume']);
    expect(b.status, b.stderr).toBe(0);
    const got = readMetrics(join(killed, 'metrics.jsonl')).filter((m) => m.loss !== undefined);
    expect(got.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.map((m) => m.loss)).toEqual(want.map((m) => m.loss));
    expect(got.map((m) => m.lr)).toEqual(want.map((m) => m.lr));
    const summary = (s: string) => JSON.parse(s.trim().split('\n').pop()!);
    expect(summary(b.stdout).val_loss_after).toBe(summary(a.stdout).val_loss_after);
    expect(summary(b.stdout).val_loss_before).toBe(summary(a.stdout).val_loss_before);
    // a digest, not toEqual on 13 MB buffers (vitest's deep equality walks every index)
    const sha = (run: string) => createHash('sha256').update(readFileSync(join(run, 'model', 'model.safetensors'))).digest('hex');
    expect(sha(killed)).toBe(sha(straight));
    expect(readdirSync(killed).sort()).toEqual(['loss-curve.svg', 'metrics.jsonl', 'model']); // no temporary directory left
  }, 240_000);
});

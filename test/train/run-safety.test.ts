// A training run is never lost or left half-made, through the built command: an --out that holds
// a run is refused unless resumed or forced; --resume with a larger --steps trains further on the
// recipe's schedule recomputed for the new total, and says so; a finished run resumed without one
// says it is complete; a run whose inputs are bad creates nothing.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedPath } from '../helpers/shared.js';
import { readMetrics } from './helpers.js';

const LR = 1e-3;
const WARMUP = 1;
const MIN_LR = 1e-5;

/** The fine-tune recipe's schedule (firmware-format.md 7.2) at 0-based step s of a run of S steps. */
function recipeLr(s: number, S: number): number {
  if (s < WARMUP) return (LR * s) / WARMUP;
  const p = (s - WARMUP) / Math.max(1, S - WARMUP);
  return MIN_LR + 0.5 * (LR - MIN_LR) * (1 + Math.cos(Math.PI * p));
}

const dir = mkdtempSync(join(tmpdir(), 'tinytalk-run-safety-'));
const persona = () => sharedPath('data', 'synthetic-persona-chat-valid.csv');
const args = (out: string, ...more: string[]) => [
  'train', '--model', HF_STANDIN(), '--data', persona(), '--rows', '0:4', '--val-rows', '900:902', '--out', out,
  '--batch', '2', '--seq-len', '32', '--threads', '1', '--val-blocks', '2', '--lr', String(LR), '--warmup', String(WARMUP), ...more,
];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** The files of a run, as digests: what must not change when a command is refused. */
const snapshot = (out: string) => ['metrics.jsonl', 'loss-curve.svg', 'model/model.safetensors', 'model/training-state.json'].map((f) => sha(join(out, f)));

describe('train: a run in --out', () => {
  const out = join(dir, 'run');
  beforeAll(() => {
    const r = tinytalk(args(out, '--steps', '2'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('is not replaced by a new run without --resume or --force', () => {
    const before = snapshot(out);
    const r = tinytalk(args(out, '--steps', '2'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `tinytalk: ${out} already holds a training run (model, metrics.jsonl, loss-curve.svg): continue it with --resume, write to another --out, or replace it with --force\n`,
    );
    expect(snapshot(out)).toEqual(before);
  });

  it('resumed when finished and without a larger --steps: says it is complete, trains and changes nothing', () => {
    const before = snapshot(out);
    const r = tinytalk(args(out, '--steps', '2', '--resume'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the run in ${out} is already complete (2 of 2 steps): nothing to train. To train it further, resume with a larger --steps, e.g. --steps 4`);
    expect(r.stderr).not.toMatch(/training .*steps/);
    expect(snapshot(out)).toEqual(before);
  });

  it('resumed when finished with an export: still writes the blob and validates it as written', () => {
    const fw = join(dir, 'fw-complete');
    const r = tinytalk(args(out, '--steps', '2', '--resume', '--export-firmware', fw, '--json'));
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(fw, 'model_neo_q4.bin'))).toBe(true);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.qat).toBe('none'); // the run's own arithmetic: it started without an export
    // blocks of 32 tokens fit the device's 80-token window: the float32 engine on the run's weights
    // scores what the run's validation did, and the blob scores alike in both arithmetics
    expect(summary.device_window).toBe(80);
    expect(Math.abs(summary.device_loss_float32 - summary.val_loss_after)).toBeLessThan(1e-5);
    expect(Math.abs(summary.device_loss_firmware_v2 - summary.val_loss_q4_blob)).toBeLessThan(0.01);
  });

  it('refuses a setting that differs from the run\'s, rather than ignore it', () => {
    const before = snapshot(out);
    const r = tinytalk(args(out, '--steps', '4', '--resume', '--batch', '3'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `tinytalk: --resume: the run in ${out} was started with --batch 2, and a resumed run keeps its settings ` +
        '(it continues exactly where it stopped): leave --batch out, or start a new run in another --out\n',
    );
    expect(snapshot(out)).toEqual(before);
  });

  it('refuses a --steps below the steps done', () => {
    const r = tinytalk(args(out, '--steps', '1', '--resume'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tinytalk: --steps 1: the run in ${out} has already done 2 steps; give --steps 2 or more\n`);
  });

  it('resumed with a larger --steps: trains on to it, the schedule recomputed for the new total', () => {
    const r = tinytalk(args(out, '--steps', '4', '--resume'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `extending the run to 4 steps: the learning-rate schedule (warm-up, then cosine decay to its minimum) is recomputed for 4 steps, so step 3 runs at lr ${recipeLr(2, 4).toPrecision(3)}`,
    );
    expect(r.stderr).toContain('training steps 3 to 4 (resumed)');
    const steps = readMetrics(join(out, 'metrics.jsonl')).filter((m) => m.loss !== undefined);
    expect(steps.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    // steps 1-2 ran on the 2-step schedule, 3-4 on the 4-step one
    const want = [recipeLr(0, 2), recipeLr(1, 2), recipeLr(2, 4), recipeLr(3, 4)];
    steps.forEach((m, i) => expect(m.lr).toBeCloseTo(want[i]!, 12));
    expect(JSON.parse(readFileSync(join(out, 'model', 'training-state.json'), 'utf8'))).toMatchObject({ step: 4, totalSteps: 4 });
  });

  it('is replaced with --force: a fresh run, nothing of the old one left', () => {
    const r = tinytalk(args(out, '--steps', '1', '--force'));
    expect(r.status, r.stderr).toBe(0);
    expect(readMetrics(join(out, 'metrics.jsonl')).map((m) => m.step)).toEqual([0, 1, 1]); // validation, step, validation
    expect(JSON.parse(readFileSync(join(out, 'model', 'training-state.json'), 'utf8'))).toMatchObject({ step: 1, totalSteps: 1 });
  });
});

describe('train: bad inputs create nothing', () => {
  it('a bot speaker the CSV does not have', () => {
    const out = join(dir, 'wrong-speaker');
    const r = tinytalk(args(out, '--steps', '1', '--bot-speaker', 'Alice'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinytalk: .*synthetic-persona-chat-valid\.csv: conversation column: expected a column with lines starting "Alice:" \(the --bot-speaker\), found none\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it('a data file without dialogue', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'hello world\n');
    const out = join(dir, 'no-dialogue');
    const r = tinytalk(['train', '--model', HF_STANDIN(), '--data', notes, '--out', out, '--steps', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinytalk: no User:\/Bot: exchanges found in .*notes\.txt \(skipped: 1 × plain text, neither "User:"\/"Bot:" lines nor a "Story:" record\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('an export target that exists is refused before training, and kept', () => {
    const fw = join(dir, 'fw');
    mkdirSync(fw);
    writeFileSync(join(fw, 'model_neo_q4.bin'), 'mine');
    const out = join(dir, 'export-exists');
    const r = tinytalk(args(out, '--steps', '1', '--export-firmware', fw));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tinytalk: ${join(fw, 'model_neo_q4.bin')} already exists: choose another export path, or replace it with --force\n`);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(fw, 'model_neo_q4.bin'), 'utf8')).toBe('mine');
  });
});

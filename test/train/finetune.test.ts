// A short fine-tune through the built CLI on persona conversations: the loss on those
// conversations goes down, the run's files are all there, the summary reports the exports'
// losses (the quantization-aware blob scores exactly what was validated), and the fine-tuned checkpoint still
// answers in the TinyTalk format (a reply after "Bot:" that starts with a space and ends with EOS),
// as do its firmware and GGUF exports.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { personaSlice, readMetrics } from './helpers.js';

describe('train: a short fine-tune on persona chats', () => {
  // quantization-aware (the default with --export-firmware), so at the device recipe's 2e-4 (docs/train.md)
  it('lowers the loss on its conversations and keeps the TinyTalk reply format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinytalk-finetune-'));
    const data = personaSlice(20, 24, dir);
    const out = join(dir, 'run');
    const run = tinytalk([
      'train', '--model', HF_STANDIN(), '--data', data, '--val-data', data, '--bot-speaker', 'User 2', '--out', out,
      '--steps', '5', '--batch', '2', '--seq-len', '64', '--lr', '2e-4', '--warmup', '1', '--threads', '2',
      '--val-every', '5', '--val-blocks', '4', '--export-firmware', join(dir, 'fw'), '--export-gguf', join(dir, 'model.gguf'), '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/train: 4 samples \(4 chats, 0 stories\), \d+ tokens in \d+ sequences, [\d.]+% carry loss/);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(Object.keys(summary).sort()).toEqual([
      'device_loss_firmware_v2', 'device_loss_float32', 'device_window', 'qat', 'steps', 'train_tokens_per_second',
      'val_loss_after', 'val_loss_before', 'val_loss_gguf_q8_0', 'val_loss_q4_blob',
    ]);
    expect(summary.steps).toBe(5);
    // quantization-aware by default with --export-firmware: the blob, read back, is the network that was validated
    expect(run.stderr).toContain('(--qat q4, the default with --export-firmware)');
    expect(summary.qat).toBe('q4');
    expect(summary.val_loss_q4_blob).toBe(summary.val_loss_after);
    expect(summary.device_window).toBe(80);
    expect(summary.train_tokens_per_second).toBeGreaterThan(0);
    expect(summary.val_loss_after).toBeLessThan(summary.val_loss_before - 0.05);

    const metrics = readMetrics(join(out, 'metrics.jsonl'));
    expect(metrics.filter((m) => m.loss !== undefined).map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(metrics.filter((m) => m.val_loss !== undefined).map((m) => m.val_loss)).toEqual([summary.val_loss_before, summary.val_loss_after]);
    expect(metrics.at(-1)).toEqual({
      step: 5, val_loss_q4_blob: summary.val_loss_q4_blob, val_loss_gguf_q8_0: summary.val_loss_gguf_q8_0,
      device_window: 80, device_loss_float32: summary.device_loss_float32, device_loss_firmware_v2: summary.device_loss_firmware_v2,
    });
    expect(readFileSync(join(out, 'loss-curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<circle[\s\S]*<\/svg>\n$/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'optimizer.safetensors', 'training-state.json']) {
      expect(existsSync(join(out, 'model', f)), f).toBe(true);
    }

    // the checkpoint and the exports at the end (firmware Q4 blob + tokenizer, GGUF) all load and answer
    for (const model of [join(out, 'model'), join(dir, 'fw', 'model_neo_q4.bin'), join(dir, 'model.gguf')]) {
      const gen = tinytalk([
        'generate', '--model', model, '--prompt', 'User: Hi! How are you today?\nBot:', '--temperature', '0', '--max-tokens', '40', '--json',
      ]);
      expect(gen.status, `${model}: ${gen.stderr}`).toBe(0);
      const reply = JSON.parse(gen.stdout.trim().split('\n').pop()!);
      expect(reply.finish_reason, model).toBe('eos');
      expect(reply.text, model).toMatch(/^ \S/);
      expect(reply.text, model).not.toMatch(/User:|Bot:|\n/);
    }
  }, 120_000);

  it('names a missing data file and an impossible --seq-len instead of crashing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'tinytalk-finetune-')), 'run');
    const missing = tinytalk(['train', '--model', HF_STANDIN(), '--data', join(out, 'nope.csv'), '--out', out]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tinytalk: --data .*nope\.csv: no such file\n$/);
    const long = tinytalk(['train', '--model', HF_STANDIN(), '--data', personaSlice(0, 3), '--out', out, '--seq-len', '300']);
    expect(long.status).toBe(1);
    expect(long.stderr).toMatch(/--seq-len 300 exceeds the model's 256 positions/);
  });
});

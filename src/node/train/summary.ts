// What `tinytalk train` says at the end: the validation loss before and after (with QAT, of the
// Q4_0 weights the run computed with), as each export computes it, the share of the fine-tune's
// gain each export keeps, and a warning when an export loses more than a tenth of it; plus the
// same numbers for --json.
import type { TrainResult } from './trainer.js';

/** An export may lose at most this share of the run's gain before the run warns. */
export const MAX_GAIN_LOSS = 0.1;

export interface Summary {
  lines: string[];
  warnings: string[];
  json: Record<string, number | string>;
}

/** Share of the run's gain (before − after) an export keeps: (before − exported) / gain. */
export function gainKept(before: number, after: number, exported: number): number {
  return (before - exported) / (before - after);
}

/** qatNote: said after the arithmetic, e.g. why it was chosen. */
export function exportSummary(r: Pick<TrainResult, 'valLossBefore' | 'valLossAfter' | 'qat' | 'exports' | 'steps' | 'trainTokensPerSecond'>, qatNote = ''): Summary {
  const f = (x: number) => x.toFixed(4);
  const { valLossBefore: before, valLossAfter: after } = r;
  const gain = before - after;
  const lines = [
    r.qat === 'q4'
      ? `trained quantization-aware (--qat q4${qatNote}): every step ran the Q4_0 weights the firmware blob stores`
      : 'trained in float32 (--qat none)',
    `validation loss: ${f(before)} before, ${f(after)} after ${r.steps} steps${r.qat === 'q4' ? ' (Q4_0 weights)' : ''}`,
  ];
  const warnings: string[] = [];
  const json: Record<string, number | string> = {
    val_loss_before: before,
    val_loss_after: after,
    qat: r.qat,
    train_tokens_per_second: r.trainTokensPerSecond,
    steps: r.steps,
  };
  const exported = (what: string, loss: number, fix: string) => {
    const kept = gainKept(before, after, loss);
    lines.push(`validation loss as exported, ${what}: ${f(loss)}` + (gain > 0 ? ` (keeps ${(100 * kept).toFixed(0)}% of the gain of ${gain.toFixed(4)})` : ''));
    if (gain > 0 && loss - after > MAX_GAIN_LOSS * gain) {
      warnings.push(`the ${what} loses ${(100 * (1 - kept)).toFixed(0)}% of what the fine-tune gained (validation loss ${f(loss)} against ${f(after)})${fix}`);
    }
  };
  const fw = r.exports.firmware;
  if (fw) {
    exported('firmware blob (Q4_0)', fw.valLoss, r.qat === 'q4' ? '' : ': fine-tune with --qat q4, or run a short --qat q4 phase from this checkpoint (docs/train.md)');
    const d = fw.device;
    lines.push(`with the v2 firmware's arithmetic (eval --firmware, ${d.window}-token windows): blob ${f(d.firmware)}, the same weights in float32 ${f(d.float32)}`);
    Object.assign(json, { val_loss_q4_blob: fw.valLoss, device_window: d.window, device_loss_firmware_v2: d.firmware, device_loss_float32: d.float32 });
  }
  const gg = r.exports.gguf;
  if (gg) {
    exported(`GGUF ${gg.type}`, gg.valLoss, '');
    json[`val_loss_gguf_${gg.type}`] = gg.valLoss;
  }
  return { lines, warnings, json };
}

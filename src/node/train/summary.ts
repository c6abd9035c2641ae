// What `tinytalk train` says at the end: the validation loss before and after, in float32 and as
// each export computes it, the share of the fine-tune's gain each export keeps, and a warning
// when an export loses more than a tenth of it; plus the same numbers for --json.
import type { TrainResult } from './trainer.js';

/** An export may lose at most this share of the float32 gain before the run warns. */
export const MAX_GAIN_LOSS = 0.1;

export interface Summary {
  lines: string[];
  warnings: string[];
  json: Record<string, number | string>;
}

/** Share of the float32 gain (before − float32) an export keeps: (before − exported) / gain. */
export function gainKept(before: number, float32: number, exported: number): number {
  return (before - exported) / (before - float32);
}

/** qatNote: said after the arithmetic, e.g. why it was chosen. */
export function exportSummary(r: Pick<TrainResult, 'valLossBefore' | 'valLossAfter' | 'valLossFloat32' | 'qat' | 'exports' | 'steps' | 'trainTokensPerSecond'>, qatNote = ''): Summary {
  const f = (x: number) => x.toFixed(4);
  const before = r.valLossBefore;
  const gain = before - r.valLossFloat32;
  const lines = [
    r.qat === 'q4'
      ? `trained quantization-aware (--qat q4${qatNote}): every step ran the firmware blob's Q4_0 weights`
      : 'trained in float32 (--qat none)',
    r.qat === 'q4'
      ? `validation loss: ${f(before)} before, ${f(r.valLossAfter)} after ${r.steps} steps with the Q4_0 weights (float32 master weights: ${f(r.valLossFloat32)})`
      : `validation loss: ${f(before)} before, ${f(r.valLossAfter)} after ${r.steps} steps`,
  ];
  const warnings: string[] = [];
  const json: Record<string, number | string> = {
    val_loss_before: before,
    val_loss_after: r.valLossAfter,
    val_loss_float32: r.valLossFloat32,
    qat: r.qat,
    train_tokens_per_second: r.trainTokensPerSecond,
    steps: r.steps,
  };
  const exported = (what: string, loss: number, fix: string) => {
    const kept = gainKept(before, r.valLossFloat32, loss);
    lines.push(`validation loss as exported, ${what}: ${f(loss)}` + (gain > 0 ? ` (keeps ${(100 * kept).toFixed(0)}% of the float32 gain of ${gain.toFixed(4)})` : ''));
    if (gain > 0 && loss - r.valLossFloat32 > MAX_GAIN_LOSS * gain) {
      warnings.push(`the ${what} loses ${(100 * (1 - kept)).toFixed(0)}% of what the fine-tune gained (validation loss ${f(loss)} against ${f(r.valLossFloat32)} in float32)${fix}`);
    }
  };
  const fw = r.exports.firmware;
  if (fw) {
    exported('firmware blob (Q4_0)', fw.valLoss, r.qat === 'q4' ? '' : ': fine-tune with --qat q4 (or run a short --qat q4 phase from this checkpoint, docs/train.md)');
    const d = fw.device;
    lines.push(`with the v2 firmware's arithmetic (eval --firmware, ${d.window}-token windows): blob ${f(d.firmware)}, float32 ${f(d.float32)}`);
    Object.assign(json, { val_loss_q4_blob: fw.valLoss, device_window: d.window, device_loss_firmware_v2: d.firmware, device_loss_float32: d.float32 });
  }
  const gg = r.exports.gguf;
  if (gg) {
    exported(`GGUF ${gg.type}`, gg.valLoss, '');
    json[`val_loss_gguf_${gg.type}`] = gg.valLoss;
  }
  return { lines, warnings, json };
}

// The README's device fine-tune, scaled down: the same stand-in and persona conversations, a float32
// run and a quantization-aware run from the same start, each exported to the firmware blob, then
// scored on conversations used neither for training nor for validation. The blob exported after
// QAT must keep at least 90% of the float32 fine-tune's held-out gain (the no-QAT blob's share is
// printed beside it). The full-size run is in docs/train.md.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { personaSlice } from './helpers.js';

describe('train --qat q4 (scaled-down device fine-tune)', () => {
  it('gives a firmware blob that keeps at least 90% of the float32 held-out gain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinytalk-qat-gain-'));
    const data = personaSlice(0, 40, dir);
    const val = personaSlice(900, 905, dir);
    const heldOut = personaSlice(700, 710, dir);
    const run = (name: string, ...extra: string[]) => {
      const r = tinytalk([
        'train', '--model', HF_STANDIN(), '--data', data, '--val-data', val, '--out', join(dir, name), '--steps', '12', '--batch', '4',
        '--seq-len', '64', '--lr', '3e-4', '--warmup', '2', '--threads', '2', '--val-every', '100', '--val-blocks', '4',
        '--export-firmware', join(dir, `${name}-fw`), '--json', ...extra,
      ]);
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, summary: JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string> };
    };
    const f32 = run('f32', '--qat', 'none');
    const qat = run('qat');
    expect(qat.summary.qat).toBe('q4');

    const models = [HF_STANDIN(), join(dir, 'f32', 'model'), join(dir, 'f32-fw', 'model_neo_q4.bin'), join(dir, 'qat-fw', 'model_neo_q4.bin')];
    const ev = tinytalk(['eval', '--model', models[0]!, '--compare', ...models.slice(1), '--data', heldOut, '--json']);
    expect(ev.status, ev.stderr).toBe(0);
    const [standIn, tuned, blob, qatBlob] = (JSON.parse(ev.stdout) as Array<{ loss: number }>).map((r) => r.loss) as [number, number, number, number];
    const gain = standIn - tuned;
    const kept = (loss: number) => (standIn - loss) / gain;
    console.log(`held-out loss: stand-in ${standIn.toFixed(4)}, f32 fine-tune ${tuned.toFixed(4)}, blob without QAT ${blob.toFixed(4)} (${(100 * kept(blob)).toFixed(0)}% kept), blob with QAT ${qatBlob.toFixed(4)} (${(100 * kept(qatBlob)).toFixed(0)}% kept)`);
    expect(gain).toBeGreaterThan(0.05); // a real fine-tune, not noise
    expect(kept(qatBlob)).toBeGreaterThanOrEqual(0.9);
    // the run without QAT says what its blob lost, when it lost more than a tenth
    if (kept(blob) < 0.9) expect(f32.stderr).toContain('warning: the firmware blob (Q4_0) loses');
  }, 300_000);
});

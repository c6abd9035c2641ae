// Which firmware a model runs as: the blob's own version (a v3 blob computes as the v3 firmware,
// a v2 blob as the v2 firmware), or the version asked for, to see what the other firmware would
// say with the same weights. Weights are held the same way in memory whatever the file layout,
// so either engine runs either blob.
import { UsageError } from '../errors.js';
import type { Engine } from '../neo/engine.js';
import type { Model } from '../neo/model.js';
import { FirmwareEngine } from './firmware-engine.js';
import { FirmwareV3Engine } from './v3/engine.js';

export type FirmwareVersion = 2 | 3;

export interface FirmwareSelection {
  /** Force an arithmetic (default: the blob's version; 2 for other Q4_0 models). */
  firmwareVersion?: number;
  /** KV window (default: the firmware's). */
  context?: number;
  /** Fused multiply-adds, as the ESP32 computes (v3 arithmetic only). */
  fma?: boolean;
}

/** The firmware version a model runs as in firmware mode. */
export function firmwareVersionOf(model: Pick<Model, 'source'>, requested?: number): FirmwareVersion {
  if (requested !== undefined) {
    if (requested !== 2 && requested !== 3) throw new UsageError(`the firmware version must be 2 or 3, got ${requested}`);
    return requested;
  }
  return model.source.format === 'crdp' && model.source.version === 3 ? 3 : 2;
}

/** A firmware engine for the model (one sequence per decode step unless maxBatch says more). */
export function firmwareEngine(model: Pick<Model, 'source' | 'config' | 'weights'>, o: FirmwareSelection & { maxBatch?: number } = {}): Engine {
  const version = firmwareVersionOf(model, o.firmwareVersion);
  if (version === 3) return new FirmwareV3Engine(model, { context: o.context, fma: o.fma, maxBatch: o.maxBatch });
  if (o.fma) throw new UsageError('--fma reproduces the v3 firmware\'s fused multiply-adds; the v2 arithmetic has no such variant (use --firmware-version 3)');
  return new FirmwareEngine(model, { context: o.context, maxBatch: o.maxBatch });
}

// Shared set-ups of the training tests: a model with its reference batch from ../shared/golden, and
// small data files cut from the shared persona CSV into a temp dir.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { parseCsv } from '../../src/core/train/data.js';
import { countTargets } from '../../src/core/train/gpt.js';
import { paramLayout, paramsFromSafetensors, type ParamLayout } from '../../src/core/train/params.js';
import { sharedJson, sharedPath } from '../helpers/shared.js';

export interface ReferenceCase {
  layout: ParamLayout;
  params: Float32Array;
  ref: any; // the golden JSON
  B: number;
  T: number;
  ids: Int32Array; // (B, T)
  labels: Int32Array; // (B, T)
  count: number; // positions that carry loss
}

/** The float32 checkpoint in modelDir and the golden file's batch (input_ids, labels). */
export function referenceCase(modelDir: string, ...golden: string[]): ReferenceCase {
  const config = parseHfConfig(readFileSync(join(modelDir, 'config.json'), 'utf8'), 'config.json');
  const layout = paramLayout(config);
  const st = parseSafetensors(new Uint8Array(readFileSync(join(modelDir, 'model.safetensors'))), 'model.safetensors');
  const ref = sharedJson(...golden);
  const B = ref.input_ids.length as number;
  const T = ref.input_ids[0].length as number;
  const labels = Int32Array.from(ref.labels.flat());
  return {
    layout, params: paramsFromSafetensors(layout, st), ref, B, T,
    ids: Int32Array.from(ref.input_ids.flat()), labels, count: countTargets(labels, B, T),
  };
}

/** Writes rows [from, to) of the persona CSV (with its header) to a temp file; returns its path. */
export function personaSlice(from: number, to: number, dir = mkdtempSync(join(tmpdir(), 'tinytalk-train-'))): string {
  const rows = parseCsv(readFileSync(sharedPath('data', 'synthetic-persona-chat-valid.csv'), 'utf8'), 'persona.csv');
  const quote = (f: string) => `"${f.replace(/"/g, '""')}"`;
  const text = [rows[0]!, ...rows.slice(1 + from, 1 + to)].map((r) => r.map(quote).join(',')).join('\n');
  const file = join(dir, `persona-${from}-${to}.csv`);
  writeFileSync(file, `${text}\n`);
  return file;
}

export interface MetricLine {
  step: number;
  loss?: number;
  val_loss?: number;
  lr?: number;
}

export function readMetrics(file: string): MetricLine[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as MetricLine);
}

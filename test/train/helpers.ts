// Small data files for the training CLI tests, cut from the shared persona CSV into a temp dir.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../../src/core/train/data.js';
import { sharedPath } from '../helpers/shared.js';

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

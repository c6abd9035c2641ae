// Reads the training and validation files, encodes and packs them, and says what went in.
import { basename } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { Tokenizer } from '../../core/neo/tokenizer.js';
import type { RowRange } from '../../core/train/rows.js';
import {
  dataReport, encodeSample, noSamplesError, packSequences, parseData, splitValidation, type DataReport, type Packed, type ParsedData,
} from '../../core/train/data.js';
import { readText } from '../files.js';

export interface DataOptions {
  data: string;
  valData?: string;
  /** Records of --data to train on (all when undefined). */
  rows?: RowRange;
  /** Records of the validation file (--val-data, or --data itself) to validate on. */
  valRows?: RowRange;
  botSpeaker: string;
  seqLen: number;
  /** Share of the training samples held out when no validation file is given. */
  valFraction: number;
}

export interface PreparedData {
  train: Packed;
  val: Packed;
  trainReport: DataReport;
  valReport: DataReport;
}

async function readParsed(file: string, botSpeaker: string, rows: RowRange | undefined): Promise<ParsedData> {
  return parseData(await readText(file), file, { botSpeaker, rows });
}

export async function prepareData(tok: Tokenizer, o: DataOptions): Promise<PreparedData> {
  const all = await readParsed(o.data, o.botSpeaker, o.rows);
  if (all.samples.length === 0) throw noSamplesError(o.data, all);
  let trainParsed: ParsedData = all;
  let valParsed: ParsedData;
  const valFile = o.valData ?? (o.valRows ? o.data : undefined);
  if (valFile) valParsed = await readParsed(valFile, o.botSpeaker, o.valRows);
  else {
    if (all.samples.length < 2) throw new UsageError(`${o.data}: one sample cannot be split into training and validation; give --val-data`);
    const { train, val } = splitValidation(all.samples, o.valFraction);
    trainParsed = { samples: train, skipped: all.skipped };
    valParsed = { samples: val, skipped: {} };
  }
  if (valParsed.samples.length === 0) throw noSamplesError(valFile ?? o.data, valParsed);
  const pack = (p: ParsedData) => packSequences(p.samples.map((s) => encodeSample(s, tok)), o.seqLen, tok.eosId);
  const train = pack(trainParsed);
  const val = pack(valParsed);
  if (train.lossTokens === 0) throw new UsageError(`${basename(o.data)}: no token carries loss (no bot replies found)`);
  return { train, val, trainReport: dataReport(trainParsed, train), valReport: dataReport(valParsed, val) };
}

/** FNV-1a over the packed training blocks: a resumed run must see the same data. */
export function fingerprint(p: Packed): string {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  mix(p.seqLen);
  for (let i = 0; i < p.ids.length; i++) {
    mix(p.ids[i]!);
    mix(p.labels[i]! & 0xffffffff);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

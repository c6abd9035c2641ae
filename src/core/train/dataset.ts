// A training run's data: the parsed training file split into training and validation samples (or
// a separate validation file), each set encoded and packed into blocks, and the report of what
// went in. `tinytalk train` reads the files from disk, the Teach page from the user's pick; both
// hand the parsed text here.
import { UsageError } from '../errors.js';
import type { Tokenizer } from '../neo/tokenizer.js';
import { dataReport, encodeSample, noSamplesError, packSequences, splitValidation, type DataReport, type Packed, type ParsedData } from './data.js';

/** A parsed data file and the name it is reported under. */
export interface NamedData {
  name: string;
  parsed: ParsedData;
}

export interface DatasetOptions {
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

export function prepareDataset(tok: Tokenizer, data: NamedData, valData: NamedData | undefined, o: DatasetOptions): PreparedData {
  const all = data.parsed;
  if (all.samples.length === 0) throw noSamplesError(data.name, all);
  let trainParsed: ParsedData = all;
  let valParsed: ParsedData;
  if (valData) valParsed = valData.parsed;
  else {
    if (all.samples.length < 2) throw new UsageError(`${data.name}: one sample cannot be split into training and validation; give a separate validation file`);
    const { train, val } = splitValidation(all.samples, o.valFraction);
    trainParsed = { samples: train, skipped: all.skipped };
    valParsed = { samples: val, skipped: {} };
  }
  if (valParsed.samples.length === 0) throw noSamplesError((valData ?? data).name, valParsed);
  const pack = (p: ParsedData) => packSequences(p.samples.map((s) => encodeSample(s, tok)), o.seqLen, tok.eosId);
  const train = pack(trainParsed);
  const val = pack(valParsed);
  if (train.lossTokens === 0) throw new UsageError(`${data.name}: no token carries loss (no bot replies found)`);
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

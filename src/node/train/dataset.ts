// Reads the training and validation files from disk and prepares them (core/train/dataset.ts).
import type { Tokenizer } from '../../core/neo/tokenizer.js';
import { parseData } from '../../core/train/data.js';
import { prepareDataset, type NamedData, type PreparedData } from '../../core/train/dataset.js';
import type { RowRange } from '../../core/train/rows.js';
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

async function readParsed(file: string, botSpeaker: string, rows: RowRange | undefined): Promise<NamedData> {
  return { name: file, parsed: parseData(await readText(file), file, { botSpeaker, rows }) };
}

export async function prepareData(tok: Tokenizer, o: DataOptions): Promise<PreparedData> {
  const data = await readParsed(o.data, o.botSpeaker, o.rows);
  const valFile = o.valData ?? (o.valRows ? o.data : undefined);
  const val = valFile ? await readParsed(valFile, o.botSpeaker, o.valRows) : undefined;
  return prepareDataset(tok, data, val, o);
}

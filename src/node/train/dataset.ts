// Reads the training and validation files from disk and prepares them (core/train/dataset.ts).
import type { Tokenizer } from '../../core/neo/tokenizer.js';
import { parseData } from '../../core/train/data.js';
import { prepareDataset, type NamedData, type PreparedData } from '../../core/train/dataset.js';
import { readText } from '../files.js';

export interface DataOptions {
  data: string;
  valData?: string;
  botSpeaker: string;
  seqLen: number;
  /** Share of the training samples held out when no validation file is given. */
  valFraction: number;
}

async function readParsed(file: string, botSpeaker: string): Promise<NamedData> {
  return { name: file, parsed: parseData(await readText(file), file, { botSpeaker }) };
}

export async function prepareData(tok: Tokenizer, o: DataOptions): Promise<PreparedData> {
  const data = await readParsed(o.data, o.botSpeaker);
  const val = o.valData ? await readParsed(o.valData, o.botSpeaker) : undefined;
  return prepareDataset(tok, data, val, o);
}

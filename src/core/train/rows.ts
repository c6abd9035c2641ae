// Record ranges of a data file (`--rows 0:300`): which conversations of a CSV (rows after the
// header), a JSONL file (non-blank lines) or a training text (blank-line-separated records) are
// used, counted before any is parsed or skipped, so one file can hold training, validation and
// test conversations side by side.
import { FormatError, UsageError } from '../errors.js';

/** Records [from, to) in file order; to undefined = to the end. */
export interface RowRange {
  from: number;
  to?: number;
}

/** "a:b", "a:" or ":b" (0-based, b exclusive) → a RowRange. */
export function parseRowRange(spec: string): RowRange {
  const m = /^\s*(\d*)\s*:\s*(\d*)\s*$/.exec(spec);
  const from = m && m[1] !== '' ? Number(m[1]) : 0;
  const to = m && m[2] !== '' ? Number(m[2]) : undefined;
  if (!m || (m[1] === '' && m[2] === '') || (to !== undefined && to <= from)) {
    throw new UsageError(`expected FROM:TO with FROM < TO (0-based, TO excluded; either may be left out, e.g. 0:300 or 900:), got "${spec}"`);
  }
  return { from, to };
}

export function formatRowRange(r: RowRange): string {
  return `${r.from}:${r.to ?? ''}`;
}

/** The records of `range` (all when undefined); a range past the end is an error naming the file. */
export function selectRows<T>(records: readonly T[], range: RowRange | undefined, file: string, what: string): readonly T[] {
  if (!range) return records;
  const to = range.to ?? records.length;
  if (range.from >= records.length || to > records.length) {
    throw new FormatError(file, `rows ${formatRowRange(range)}`, `a range within the file's ${records.length} ${what}`);
  }
  return records.slice(range.from, to);
}

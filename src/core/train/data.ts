// Training data: dialogue files → samples → (ids, labels) the way TinyTalk was fine-tuned
// (firmware-format.md 7.2): each piece encoded on its own as the device feeds it, the loss kept
// on the bot's replies (and EOS) only, everything packed into fixed-length blocks.
//
// Formats read: the training text (`User: …` / `Bot: …<|endoftext|>` lines, samples separated by a
// blank line, story records too), JSONL chat exports ({"messages": [{role, content}]}) and CSV
// conversations (`User 1:` / `User 2:` lines in one column; the caller names the bot speaker).
import { FormatError, UsageError } from '../errors.js';
import { BOT_PREFIX, STORY_CUE, USER_PREFIX, userTurn, type Exchange } from '../formats/dialogue.js';
import type { EncodeOptions, Tokenizer } from '../neo/tokenizer.js';
import { EOS_TEXT } from '../tokenizer/pretokenize.js';
import { selectRows, type RowRange } from './rows.js';

/** Label of a position that carries no loss (PyTorch's ignore_index). */
export const IGNORE_LABEL = -100;

/** `\n`, the separator the device feeds between past exchanges (GPT-2 id 198). */
const NEWLINE = '\n';

/** One training sample: a chat (user turns masked, bot replies trained) or a story record. */
export type Sample =
  | { kind: 'chat'; exchanges: Exchange[] }
  | { kind: 'story'; prompt: string; text: string }; // prompt (masked) ends with "\nStory:"; may be ''

export interface ParsedData {
  samples: Sample[];
  /** Reason → how many samples were left out for it. */
  skipped: Record<string, number>;
}

export type DataFormat = 'text' | 'jsonl' | 'csv';

export interface ParseOptions {
  /** Default: from the file name (.jsonl, .csv), else the training text format. */
  format?: DataFormat;
  /** CSV: which speaker is the bot ("User 2" by default). */
  botSpeaker?: string;
  /** Only these records (CSV rows, JSONL lines, text records), counted before parsing. */
  rows?: RowRange;
}

function skip(out: ParsedData, reason: string): void {
  out.skipped[reason] = (out.skipped[reason] ?? 0) + 1;
}

/** Collapses whitespace runs to one space and trims, as the data preparation did (7.1). */
function normalizeTurn(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function detectFormat(file: string): DataFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return 'text';
}

export function parseData(text: string, file: string, options: ParseOptions = {}): ParsedData {
  const format = options.format ?? detectFormat(file);
  const normalized = text.replace(/\r\n?/g, '\n');
  if (format === 'jsonl') return parseJsonl(normalized, file, options.rows);
  if (format === 'csv') return parseCsvConversations(normalized, file, options.botSpeaker ?? 'User 2', options.rows);
  return parseTrainingText(normalized, file, options.rows);
}

// ----------------------------------------------------------------------------
// the training text format (chat_train.txt / chat_val.txt)

/** What a story record starts with when it has no summary (7.2: such records are trained whole). */
const STORY_START = 'Story:';

/** A "Name: " at the start of a line, for saying which speakers a file holds instead of User/Bot. */
const SPEAKER_LINE = /^([^:\n]{1,40}):\s?(.*)$/;

/**
 * One record of the training text: a chat sample (starts with `User: `) or a story record (holds
 * `\nStory:` or starts with `Story:`). Other text is no sample: scoring it as a story would
 * silently measure something else than the model was trained on.
 */
export function parseRecord(record: string): Sample | string {
  if (record.startsWith(USER_PREFIX)) {
    const lines = record.split('\n');
    const exchanges: Exchange[] = [];
    // 7.2: pairs (line i, line i+1) while the second starts with "Bot: "
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const u = lines[i]!;
      const b = lines[i + 1]!;
      if (!b.startsWith(BOT_PREFIX) || !u.startsWith(USER_PREFIX)) break;
      let reply = b.slice(BOT_PREFIX.length);
      if (reply.endsWith(EOS_TEXT)) reply = reply.slice(0, -EOS_TEXT.length);
      exchanges.push({ user: u.slice(USER_PREFIX.length), bot: reply });
    }
    return exchanges.length > 0 ? { kind: 'chat', exchanges } : 'chat sample without a "User: …" / "Bot: …" pair';
  }
  let body = record;
  if (body.endsWith(EOS_TEXT)) body = body.slice(0, -EOS_TEXT.length);
  if (body.trim() === '') return 'empty record';
  const at = body.indexOf(STORY_CUE);
  if (at < 0 && body.startsWith(STORY_START)) return { kind: 'story', prompt: '', text: body };
  if (at < 0) {
    const speaker = SPEAKER_LINE.exec(body.split('\n', 1)[0]!)?.[1];
    // a speaker's name is a word or three ("Alice", "User 2"); a longer head is a sentence with a colon
    return speaker === undefined || speaker.trim().split(/\s+/).length > 3
      ? 'plain text, neither "User:"/"Bot:" lines nor a "Story:" record'
      : `lines start with "${speaker}:", not "User:"/"Bot:"`;
  }
  const cut = at + STORY_CUE.length;
  return { kind: 'story', prompt: body.slice(0, cut), text: body.slice(cut) };
}

export function parseTrainingText(text: string, file = 'text', rows?: RowRange): ParsedData {
  const out: ParsedData = { samples: [], skipped: {} };
  const records = text.split('\n\n').filter((r) => r.trim() !== ''); // 7.2: empty pieces are dropped, not samples
  for (const record of selectRows(records, rows, file, 'records')) {
    const s = parseRecord(record.replace(/^\n+|\n+$/g, ''));
    if (typeof s === 'string') skip(out, s);
    else out.samples.push(s);
  }
  return out;
}

// ----------------------------------------------------------------------------
// turns → exchanges (shared by JSONL and CSV)

interface Turn {
  bot: boolean;
  text: string;
}

/** Alternating user/bot turns → exchanges; a leading bot turn and a trailing user turn have no pair and are dropped. */
function exchangesFromTurns(turns: Turn[]): Exchange[] {
  const merged: Turn[] = [];
  for (const t of turns) {
    const text = normalizeTurn(t.text);
    if (text === '') continue;
    const prev = merged[merged.length - 1];
    if (prev && prev.bot === t.bot) prev.text += ` ${text}`; // consecutive turns of one speaker
    else merged.push({ bot: t.bot, text });
  }
  const exchanges: Exchange[] = [];
  for (let i = 0; i < merged.length; i++) {
    const u = merged[i]!;
    const b = merged[i + 1];
    if (!u.bot && b?.bot) {
      exchanges.push({ user: u.text, bot: b.text });
      i++;
    }
  }
  return exchanges;
}

// ----------------------------------------------------------------------------
// JSONL: {"messages": [{"role": "user" | "assistant" | "system", "content": "…"}]}

export function parseJsonl(text: string, file: string, rows?: RowRange): ParsedData {
  const out: ParsedData = { samples: [], skipped: {} };
  const lines = text.split('\n');
  // (line, its 0-based number in the file) for the non-blank lines the range selects
  const records = selectRows(lines.flatMap((line, n) => (line.trim() === '' ? [] : [[line, n] as const])), rows, file, 'lines');
  let parsedAny = false;
  records.forEach(([line, n]) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      skip(out, 'line is not valid JSON');
      return;
    }
    parsedAny = true;
    const messages = (obj as { messages?: unknown } | null)?.messages;
    if (!Array.isArray(messages)) {
      skip(out, 'no "messages" array');
      return;
    }
    const turns: Turn[] = [];
    for (const m of messages) {
      const role = (m as { role?: unknown })?.role;
      const content = (m as { content?: unknown })?.content;
      if (typeof content !== 'string') {
        throw new FormatError(file, `line ${n + 1}: messages[].content`, 'a string', typeof content);
      }
      if (role === 'system') continue; // TinyTalk has no system prompt
      if (role !== 'user' && role !== 'assistant') {
        throw new FormatError(file, `line ${n + 1}: messages[].role`, '"user", "assistant" or "system"', JSON.stringify(role));
      }
      turns.push({ bot: role === 'assistant', text: content });
    }
    const exchanges = exchangesFromTurns(turns);
    if (exchanges.length === 0) skip(out, 'no user message followed by an assistant reply');
    else out.samples.push({ kind: 'chat', exchanges });
  });
  if (!parsedAny && records.length > 0) {
    throw new FormatError(file, 'line 1', 'one JSON object per line ({"messages": [...]})', 'no valid JSON line');
  }
  return out;
}

// ----------------------------------------------------------------------------
// CSV conversations (e.g. synthetic-persona-chat: a column of `User 1: …` / `User 2: …` lines)

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. */
export function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) throw new FormatError(file, `row ${rows.length + 1}`, 'a closing quote', 'end of file');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A speaker of a CSV's conversations and how many conversations it speaks in. */
export interface CsvSpeaker {
  name: string;
  conversations: number;
}

/**
 * The speakers of a CSV's conversation column (the column with the most `Name: …` lines), in the
 * order they first speak; names heard in fewer than a tenth of the conversations (a colon inside
 * a wrapped turn) are left out. The page offers them as the bot's speaker.
 */
export function csvSpeakers(text: string, file: string): CsvSpeaker[] {
  const rows = parseCsv(text.replace(/\r\n?/g, '\n'), file).slice(1);
  const columns = Math.max(0, ...rows.map((r) => r.length));
  let best: Map<string, number> = new Map();
  let bestHeard = 0;
  for (let c = 0; c < columns; c++) {
    const speakers = new Map<string, number>(); // name → conversations, in order of first appearance
    let heard = 0;
    for (const r of rows) {
      const names = new Set<string>();
      for (const line of (r[c] ?? '').split('\n')) {
        const m = SPEAKER_LINE.exec(line);
        if (m) names.add(m[1]!.trim());
      }
      heard += names.size;
      for (const name of names) speakers.set(name, (speakers.get(name) ?? 0) + 1);
    }
    if (heard > bestHeard) {
      best = speakers;
      bestHeard = heard;
    }
  }
  return [...best].filter(([, n]) => n * 10 >= rows.length).map(([name, conversations]) => ({ name, conversations }));
}

export function parseCsvConversations(text: string, file: string, botSpeaker: string, range?: RowRange): ParsedData {
  const rows = parseCsv(text, file);
  if (rows.length < 2) throw new FormatError(file, 'rows', 'a header row and at least one conversation', `${rows.length} row(s)`);
  const body = selectRows(rows.slice(1), range, file, 'conversations');
  // the conversation column: the one whose cells most often have a line starting with the bot speaker
  const prefix = `${botSpeaker}:`;
  const header = rows[0]!;
  let column = -1;
  let best = 0;
  for (let c = 0; c < header.length; c++) {
    const hits = body.filter((r) => (r[c] ?? '').split('\n').some((l) => l.startsWith(prefix))).length;
    if (hits > best) {
      best = hits;
      column = c;
    }
  }
  if (column < 0) {
    throw new FormatError(file, 'conversation column', `a column with lines starting "${prefix}" (the --bot-speaker)`, 'none');
  }
  const out: ParsedData = { samples: [], skipped: {} };
  for (const r of body) {
    const cell = r[column] ?? '';
    const turns: Turn[] = [];
    for (const line of cell.split('\n')) {
      const m = SPEAKER_LINE.exec(line);
      if (m) turns.push({ bot: m[1]!.trim() === botSpeaker, text: m[2]! });
      else if (turns.length > 0) turns[turns.length - 1]!.text += ` ${line}`; // a turn that wraps
    }
    const exchanges = exchangesFromTurns(turns);
    if (exchanges.length === 0) skip(out, `no user turn followed by a "${botSpeaker}" reply`);
    else out.samples.push({ kind: 'chat', exchanges });
  }
  return out;
}

/**
 * The error for a file that gave no sample: what was looked for, what was found instead, and
 * how to write dialogue that TinyTalk can learn from or be scored on.
 */
export function noSamplesError(file: string, parsed: ParsedData): UsageError {
  const skipped = Object.entries(parsed.skipped).map(([why, n]) => `${n} × ${why}`).join('; ');
  return new UsageError(
    `no User:/Bot: exchanges found in ${file}${skipped ? ` (skipped: ${skipped})` : ' (it is empty)'}. ` +
      'Give training text (User: … / Bot: … lines, a blank line between conversations), ' +
      'a .jsonl of {"messages": [...]}, or a .csv of conversations with --bot-speaker naming the bot',
  );
}

// ----------------------------------------------------------------------------
// sample → (ids, labels)

export interface Encoded {
  ids: number[];
  labels: number[]; // IGNORE_LABEL where no loss
}

/**
 * Encodes a sample piece by piece as the device feeds it (7.2): `User: u\nBot:` masked, `" " + reply`
 * trained, EOS trained, `\n` masked between exchanges; a story's prompt (up to `\nStory:`) masked,
 * its text and EOS trained. EncodeOptions pick the tokenizer's encoding (GPT-2 regex or device).
 */
export function encodeSample(sample: Sample, tok: Tokenizer, options: EncodeOptions = {}): Encoded {
  const ids: number[] = [];
  const labels: number[] = [];
  const add = (text: string, trained: boolean) => {
    for (const id of tok.encode(text, options)) {
      ids.push(id);
      labels.push(trained ? id : IGNORE_LABEL);
    }
  };
  const eos = () => {
    ids.push(tok.eosId);
    labels.push(tok.eosId);
  };
  if (sample.kind === 'chat') {
    sample.exchanges.forEach((ex, i) => {
      if (i > 0) add(NEWLINE, false);
      add(userTurn(ex.user), false);
      add(` ${ex.bot}`, true);
      eos();
    });
  } else {
    if (sample.prompt !== '') add(sample.prompt, false);
    add(sample.text, true);
    eos();
  }
  return { ids, labels };
}

// ----------------------------------------------------------------------------
// packing

/** Fixed-length blocks: ids and labels (n, seqLen). */
export interface Packed {
  n: number;
  seqLen: number;
  ids: Int32Array; // (n, seqLen)
  labels: Int32Array; // (n, seqLen)
  tokens: number; // real tokens (without padding)
  lossTokens: number; // labels ≠ −100 that a block's shifted loss uses (a block's first label is unused)
}

/**
 * Concatenates the samples in order and cuts blocks of seqLen (7.2: no separation between samples
 * inside a block). Unlike the recipe, the last partial block is kept, padded with EOS ids whose
 * labels are −100, so small data sets lose nothing.
 */
export function packSequences(encoded: readonly Encoded[], seqLen: number, padId: number): Packed {
  let tokens = 0;
  for (const e of encoded) tokens += e.ids.length;
  const n = Math.ceil(tokens / seqLen);
  const ids = new Int32Array(n * seqLen).fill(padId);
  const labels = new Int32Array(n * seqLen).fill(IGNORE_LABEL);
  let at = 0;
  for (const e of encoded) {
    ids.set(e.ids, at);
    labels.set(e.labels, at);
    at += e.ids.length;
  }
  let lossTokens = 0;
  for (let i = 0; i < n * seqLen; i++) if (i % seqLen !== 0 && labels[i] !== IGNORE_LABEL) lossTokens++;
  return { n, seqLen, ids, labels, tokens, lossTokens };
}

// ----------------------------------------------------------------------------
// splitting and reporting

/**
 * Deterministic hold-out spread over the file: every k-th sample (k = round(1/fraction)) goes to
 * validation; with fewer than k samples (and at least 2), the last one does.
 */
export function splitValidation<T>(items: readonly T[], fraction: number): { train: T[]; val: T[] } {
  const k = Math.max(2, Math.round(1 / fraction));
  if (items.length < k && items.length >= 2) return { train: items.slice(0, -1), val: items.slice(-1) };
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((it, i) => ((i % k === k - 1 ? val : train) as T[]).push(it));
  return { train, val };
}

export interface DataReport {
  samples: number;
  chatSamples: number;
  storySamples: number;
  tokens: number;
  lossTokens: number;
  /** Share of tokens that carry loss. */
  lossShare: number;
  blocks: number;
  skipped: Record<string, number>;
}

export function dataReport(parsed: ParsedData, packed: Packed): DataReport {
  const chat = parsed.samples.filter((s) => s.kind === 'chat').length;
  return {
    samples: parsed.samples.length,
    chatSamples: chat,
    storySamples: parsed.samples.length - chat,
    tokens: packed.tokens,
    lossTokens: packed.lossTokens,
    lossShare: packed.tokens === 0 ? 0 : packed.lossTokens / packed.tokens,
    blocks: packed.n,
    skipped: parsed.skipped,
  };
}

/** The report as one line, as `tinytalk train` prints it and the page shows it. */
export function describeReport(name: string, r: DataReport): string {
  const skipped = Object.entries(r.skipped).map(([why, n]) => `${n} × ${why}`).join('; ');
  return (
    `${name}: ${r.samples} samples (${r.chatSamples} chats, ${r.storySamples} stories), ${r.tokens} tokens in ${r.blocks} sequences, ` +
    `${(100 * r.lossShare).toFixed(1)}% carry loss; skipped: ${skipped || 'none'}`
  );
}

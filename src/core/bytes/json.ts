// Text and JSON from files: every failure is a FormatError naming the file and the field.
import { FormatError } from '../errors.js';

/** UTF-8 text of a file, refusing invalid bytes. */
export function utf8Text(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(file, 'text', 'valid UTF-8');
  }
}

/** JSON.parse that reports a syntax error as a FormatError naming the file. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(file, 'JSON', 'valid JSON', (err as Error).message);
  }
}

/** A JSON object (not an array, not null), or a FormatError. */
export function jsonObject(value: unknown, file: string, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(file, field, 'a JSON object', describe(value));
  }
  return value as Record<string, unknown>;
}

/** A short description of a JSON value for error messages. */
export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** A value as a JSON file the way Hugging Face writes them: two-space indents, a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// Errors a user can act on: every bad input names the file, the field and what was expected.

/** Base class for every error tinytalk raises on purpose (the CLI prints these without a stack). */
export class TinyTalkError extends Error {
  override name = 'TinyTalkError';
}

/** A file (model, tokenizer, config, data) is malformed, truncated or of the wrong kind. */
export class FormatError extends TinyTalkError {
  override name = 'FormatError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly expected: string,
    readonly found?: string,
  ) {
    super(`${file}: ${field}: expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
  }
}

/** A request the model cannot serve, e.g. a prompt longer than the context. */
export class UsageError extends TinyTalkError {
  override name = 'UsageError';
}

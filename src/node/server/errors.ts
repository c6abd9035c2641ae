// OpenAI-style API errors: {"error": {"message", "type", "param", "code"}} with the HTTP status to send.

export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a field of the request body that has the wrong type or value. */
export function badParam(param: string, expected: string, found?: unknown): ApiError {
  const got = found === undefined ? '' : `, got ${JSON.stringify(found)?.slice(0, 80) ?? String(found)}`;
  return new ApiError(400, `'${param}': expected ${expected}${got}`, 'invalid_request_error', param, 'invalid_value');
}

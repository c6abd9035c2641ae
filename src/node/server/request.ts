// Reads and checks the JSON bodies of /v1/chat/completions and /v1/completions. Unknown fields are
// accepted and ignored (as OpenAI does); known fields of the wrong type or range get a 400 naming them.
import { ApiError, badParam } from './errors.js';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

/** What the sampler needs, in the engine's terms (undefined: the model's default). */
export interface SamplingRequest {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  seed?: number;
}

interface CommonRequest {
  model: string | undefined;
  /** Undefined: the server's default for the model. */
  maxTokens: number | undefined;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  sampling: SamplingRequest;
}

export interface ChatRequest extends CommonRequest {
  kind: 'chat';
  messages: ChatMessage[];
}

export interface CompletionRequest extends CommonRequest {
  kind: 'completion';
  /** Text, or token ids as OpenAI also accepts. */
  prompt: string | number[];
}

type Body = Record<string, unknown>;

function asObject(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'The request body must be a JSON object', 'invalid_request_error', null, 'invalid_body');
  }
  return value as Body;
}

function optNumber(body: Body, name: string, min: number, max: number, integer = false): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v));
  if (!ok) throw badParam(name, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, v);
  return v;
}

function optBoolean(body: Body, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badParam(name, 'a boolean', v);
  return v;
}

function readStop(body: Body): string[] {
  const v = body.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > 4 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw badParam('stop', 'a non-empty string or an array of up to 4 non-empty strings', v);
  }
  return list as string[];
}

function readCommon(body: Body, maxTokensLimit: number): CommonRequest {
  if (body.model !== undefined && typeof body.model !== 'string') throw badParam('model', 'a string', body.model);
  const n = optNumber(body, 'n', -Infinity, Infinity);
  if (n !== undefined && n !== 1) throw badParam('n', '1 (one choice per request)', n);
  // Known but unsupported: refused rather than silently answered without them.
  const logprobs = body.logprobs;
  if (logprobs !== undefined && logprobs !== null && logprobs !== false && logprobs !== 0) {
    throw badParam('logprobs', 'false or unset (this server does not return log-probabilities)', logprobs);
  }
  // max_completion_tokens is the newer name of max_tokens in the chat API.
  const maxName = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = body[maxName];
  if (maxTokens !== undefined && maxTokens !== null) {
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      throw badParam(maxName, 'an integer ≥ 1', maxTokens);
    }
    if (maxTokens > maxTokensLimit) throw badParam(maxName, `at most ${maxTokensLimit} (this server's limit)`, maxTokens);
  }
  const stream = optBoolean(body, 'stream') ?? false;
  let includeUsage = false;
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (typeof so !== 'object' || Array.isArray(so)) throw badParam('stream_options', 'an object', so);
    if (!stream) throw badParam('stream_options', 'only with stream: true', so);
    includeUsage = optBoolean(so as Body, 'include_usage') ?? false;
  }
  return {
    model: body.model as string | undefined,
    maxTokens: (maxTokens ?? undefined) as number | undefined,
    stop: readStop(body),
    stream,
    includeUsage,
    sampling: {
      temperature: optNumber(body, 'temperature', 0, 2),
      topP: optNumber(body, 'top_p', Number.MIN_VALUE, 1),
      topK: optNumber(body, 'top_k', 0, Number.MAX_SAFE_INTEGER, true),
      minP: optNumber(body, 'min_p', 0, 1),
      repetitionPenalty: optNumber(body, 'repetition_penalty', Number.MIN_VALUE, 10),
      seed: optNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    },
  };
}

/** Text of a message: a string, or an array of {type: 'text', text} parts (the newer OpenAI form). */
function messageText(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        const p = part as Body;
        if (typeof p !== 'object' || p === null || p.type !== 'text' || typeof p.text !== 'string') {
          throw badParam(`messages[${i}].content[${j}]`, "a {type: 'text', text} part (TinyTalk reads text only)", part);
        }
        return p.text;
      })
      .join('');
  }
  throw badParam(`messages[${i}].content`, 'a string or an array of text parts', content);
}

export function parseChatRequest(json: unknown, maxTokensLimit: number): ChatRequest {
  const body = asObject(json);
  const raw = body.messages;
  if (!Array.isArray(raw) || raw.length === 0) throw badParam('messages', 'a non-empty array of messages', raw);
  const messages = raw.map((m, i): ChatMessage => {
    if (typeof m !== 'object' || m === null) throw badParam(`messages[${i}]`, 'an object', m);
    const { role } = m as Body;
    // 'developer' is the newer name of 'system'.
    const mapped = role === 'developer' ? 'system' : role;
    if (mapped !== 'system' && mapped !== 'user' && mapped !== 'assistant') {
      throw badParam(`messages[${i}].role`, "'system', 'developer', 'user' or 'assistant'", role);
    }
    return { role: mapped, content: messageText((m as Body).content, i) };
  });
  if (messages[messages.length - 1].role === 'assistant') {
    throw badParam(`messages[${messages.length - 1}].role`, "the last message to be from 'user' or 'system' (the bot replies to it)", 'assistant');
  }
  return { kind: 'chat', messages, ...readCommon(body, maxTokensLimit) };
}

export function parseCompletionRequest(json: unknown, maxTokensLimit: number): CompletionRequest {
  const body = asObject(json);
  let prompt = body.prompt;
  // OpenAI accepts a batch of prompts; this server answers one prompt per request.
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))) prompt = prompt[0];
  const isIds = Array.isArray(prompt) && prompt.length > 0 && prompt.every((t) => Number.isInteger(t) && (t as number) >= 0);
  if (typeof prompt !== 'string' && !isIds) {
    throw badParam('prompt', 'a string, an array of token ids, or an array with one of these', prompt);
  }
  return { kind: 'completion', prompt: prompt as string | number[], ...readCommon(body, maxTokensLimit) };
}

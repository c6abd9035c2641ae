// POST /v1/chat/completions and /v1/completions: a parsed request becomes a scheduler job whose tokens
// are streamed as SSE chunks or gathered into one JSON response, in OpenAI's shapes.
import { randomBytes } from 'node:crypto';
import { promptBudget } from '../../core/chat/prompt.js';
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { SseStream, sendJson } from './http.js';
import type { ChatRequest, CompletionRequest } from './request.js';
import type { ApiFinishReason, Scheduler } from './scheduler.js';
import type { ServedModel } from './served-model.js';

export interface CompletionLimits {
  /** Longest prompt in tokens (never more than the context minus one). */
  maxPromptTokens: number;
}

/** Token counts and where the time went (timings is a tinytalk extension, like llama.cpp's). */
function usageOf(promptTokens: number, completionTokens: number) {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export function handleCompletion(
  res: ServerResponse,
  request: ChatRequest | CompletionRequest,
  model: ServedModel,
  scheduler: Scheduler,
  limits: CompletionLimits,
): void {
  const context = model.engine.context;
  const maxPrompt = Math.min(limits.maxPromptTokens, context - 1);
  // Chat history is cut to leave room for the reply (the chat's prompt budget: context − reply − 1).
  const promptIds =
    request.kind === 'chat'
      ? model.chatPrompt(request.messages, Math.min(maxPrompt, promptBudget(context, request.maxTokens ?? model.defaults.maxNewTokens)))
      : typeof request.prompt === 'string'
        ? model.encode(request.prompt)
        : request.prompt;
  const param = request.kind === 'chat' ? 'messages' : 'prompt';
  if (promptIds.length === 0) throw new ApiError(400, `'${param}' gives an empty prompt`, 'invalid_request_error', param, 'empty_prompt');
  if (promptIds.length > maxPrompt) {
    throw new ApiError(400, `The prompt is ${promptIds.length} tokens long; this model and server take at most ${maxPrompt}`, 'invalid_request_error', param, 'context_length_exceeded');
  }
  const vocab = model.engine.config.vocabSize;
  if (request.kind === 'completion' && typeof request.prompt !== 'string' && promptIds.some((t) => t >= vocab)) {
    throw new ApiError(400, `'prompt': token ids must be below the vocabulary size ${vocab}`, 'invalid_request_error', 'prompt', 'invalid_value');
  }
  const maxTokens = Math.min(request.maxTokens ?? model.defaults.maxNewTokens, context - promptIds.length);

  const chat = request.kind === 'chat';
  const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: model.id };
  const reply = model.replyText(request.stop, request.kind === 'chat');
  // Set once the job is queued: a refusal (429) must still be able to send its own status.
  let sse: SseStream | undefined;
  let text = '';
  let completionTokens = 0;
  const submitted = performance.now();
  let firstToken = 0;

  const emit = (delta: string) => {
    if (delta === '') return;
    if (!sse) text += delta;
    else if (chat) sse.send({ ...base, choices: [{ index: 0, delta: { content: delta }, logprobs: null, finish_reason: null }] });
    else sse.send({ ...base, choices: [{ index: 0, text: delta, logprobs: null, finish_reason: null }] });
  };

  const finish = (reason: ApiFinishReason) => {
    const end = performance.now();
    const usage = usageOf(promptIds.length, completionTokens);
    const timings = {
      time_to_first_token_ms: firstToken - submitted,
      generation_ms: end - firstToken,
      tokens_per_second: completionTokens > 1 ? ((completionTokens - 1) * 1000) / (end - firstToken) : null,
    };
    if (sse) {
      const last = chat ? { delta: {} } : { text: '' };
      sse.send({ ...base, choices: [{ index: 0, ...last, logprobs: null, finish_reason: reason }] });
      if (request.includeUsage) sse.send({ ...base, choices: [], usage, timings });
      sse.done();
    } else if (chat) {
      sendJson(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: reason }],
        usage,
        timings,
      });
    } else {
      sendJson(res, 200, { ...base, choices: [{ index: 0, text, logprobs: null, finish_reason: reason }], usage, timings });
    }
  };

  let stoppedByText = false;
  let done = false;
  const handle = scheduler.submit({
    promptIds,
    maxTokens,
    sample: model.sampler(request.sampling, promptIds),
    onToken(token) {
      if (completionTokens === 0 && firstToken === 0) firstToken = performance.now();
      if (token === model.eosId) return true;
      completionTokens++;
      const { text: delta, stopped } = reply.push(token);
      emit(delta);
      stoppedByText = stopped;
      return stopped;
    },
    onEnd(result) {
      done = true;
      if ('error' in result) {
        const error = new ApiError(500, `Generation failed: ${(result.error as Error)?.message ?? String(result.error)}`, 'server_error', null, 'generation_failed');
        if (sse) {
          sse.send(error.toJSON());
          sse.done();
        } else sendJson(res, 500, error.toJSON());
        return;
      }
      if (!stoppedByText) emit(reply.flush());
      finish(result.reason);
    },
  });
  // The scheduler calls back from its next step at the earliest, so the stream opens in time.
  if (request.stream) {
    sse = new SseStream(res);
    if (chat) sse.send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
  }
  // A client that goes away frees its slot before the next forward pass.
  res.on('close', () => {
    if (!done) handle.cancel();
  });
}

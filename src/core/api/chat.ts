// Chat: prompt formats, memory within a token budget, reply stop rules, and a session tying them to a model.
export { DEVICE_INPUT_MAX, deviceInput } from '../chat/firmware-input.js';
export { ChatHistory, FIRMWARE_HIST_MAX, type Exchange } from '../chat/history.js';
export { CHAT_MODES, buildPrompt, chatPrompt, promptBudget, rawPrompt, storyPrompt, type BuiltPrompt, type ChatMode, type PromptRules } from '../chat/prompt.js';
export { CHAT_HELP, runChatCommand, type CommandOutcome } from '../chat/commands.js';
export { ReplyFilter } from '../chat/reply-filter.js';
export { ChatSession, DEFAULT_MAX_REPLY, FIRMWARE_CONTEXT, type ChatSettings, type ReplyFinish, type ReplyResult } from '../chat/session.js';

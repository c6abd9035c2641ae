// "tinytalk/chat": TinyTalk's prompt formats, memory within a token budget, the reply's stop
// rules, the slash commands, and a session tying them to a model; the device's chat settings.
export {
  FIRMWARE_CONTEXT, FIRMWARE_HIST_MAX, FIRMWARE_INPUT_MAX, FIRMWARE_MAX_REPLY, FIRMWARE_TEMPERATURE,
} from '../firmware/settings.js';
export { storyPromptText, userTurn, type Exchange } from '../formats/dialogue.js';
export { firmwareInput } from '../chat/firmware-input.js';
export { ChatHistory } from '../chat/history.js';
export {
  CHAT_MODES, buildPrompt, chatPrompt, promptBudget, rawPrompt, storyPrompt,
  type BuiltPrompt, type ChatMode, type PromptRules,
} from '../chat/prompt.js';
export { CHAT_HELP, runChatCommand, type CommandOutcome } from '../chat/commands.js';
export { ReplyFilter } from '../chat/reply-filter.js';
export { ChatSession, type ChatSettings, type ReplyFinish, type ReplyResult } from '../chat/session.js';

// TinyTalk's dialogue text (firmware-format.md 5.3, 5.4 and 7.2): what the model was fine-tuned
// on and what every prompt is built from. A chat is `User: <message>\nBot:` followed by the
// reply; past exchanges are joined by EOS and a newline; a story prompt is `Summary: <text>\nStory:`.

/** One user message and the bot's reply. */
export interface Exchange {
  readonly user: string;
  /**
   * The reply. A chat's memory keeps it as decoded, with the space the model writes after
   * `Bot:`; parsed training data keep the text alone (the encoder adds that space).
   */
  readonly bot: string;
}

export const USER_PREFIX = 'User: ';
export const BOT_PREFIX = 'Bot: ';
/** What ends a user turn: the reply follows it. */
export const REPLY_CUE = '\nBot:';
/** What ends a story prompt: the story follows it. */
export const STORY_CUE = '\nStory:';

/** A user turn up to where the reply starts: `User: text\nBot:`. */
export function userTurn(text: string): string {
  return `${USER_PREFIX}${text}${REPLY_CUE}`;
}

/** A remembered exchange as the prompt holds it: the user turn, then the reply as decoded. */
export function exchangeText(e: Exchange): string {
  return userTurn(e.user) + e.bot;
}

/** A summary as the story prompt's first line: `Summary: text`. */
export function summaryLine(text: string): string {
  return `Summary: ${text}`;
}

/** A story prompt: `Summary: text\nStory:`. */
export function storyPromptText(text: string): string {
  return summaryLine(text) + STORY_CUE;
}

// The chat reply's "\nUser" rule, piece by piece (firmware-format.md 5.5, chat-mode newline filter).
import { describe, expect, it } from 'vitest';
import { ReplyFilter } from '../../src/core/chat/reply-filter.js';

function run(firmware: boolean, pieces: string[]): { text: string; stoppedAt: number } {
  const f = new ReplyFilter(firmware);
  let text = '';
  for (let i = 0; i < pieces.length; i++) {
    const r = f.push(pieces[i]!);
    text += r.text;
    if (r.stop) return { text, stoppedAt: i };
  }
  return { text, stoppedAt: -1 };
}

describe('ReplyFilter', () => {
  it.each([
    ['a held newline before User ends the reply', [' Hi', '!', '\n', 'User', ':'], ' Hi!', 3],
    ['a newline before other text is let through', [' Hi', '\n', 'How', ' are'], ' Hi\nHow are', -1],
    ['empty pieces do not release the newline', [' Hi', '\n', '', 'User'], ' Hi', 3],
    ['two newlines: the first is released, the second held', [' a', '\n', '\n', 'User'], ' a\n', 3],
    ['a newline held at the end is dropped', [' a', '\n'], ' a', -1],
    ['"User" that does not follow a newline is text', ['User', ' is'], 'User is', -1],
    ['"\\n\\n" is printed directly on the device', [' a', '\n\n', 'User'], ' a\n\nUser', -1],
    ['" User" after a newline is not a new line', [' a', '\n', ' User'], ' a\n User', -1],
  ])('firmware: %s', (_, pieces, text, stoppedAt) => {
    expect(run(true, pieces)).toEqual({ text, stoppedAt });
  });

  it('reference mode also holds a "\\n\\n" piece', () => {
    expect(run(false, [' a', '\n\n', 'User'])).toEqual({ text: ' a', stoppedAt: 2 });
    expect(run(false, [' a', '\n\n', 'So'])).toEqual({ text: ' a\n\nSo', stoppedAt: -1 });
  });
});

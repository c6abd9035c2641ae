// Random texts that stress a byte-level BPE: every Unicode plane, emoji with modifiers, CJK,
// accents, whitespace runs of all kinds, digits and English contractions, mixed together.
import fc from 'fast-check';

const fragments = fc.constantFrom(
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "don't", "I'm", "we'll", " 's", "''",
  ' ', '  ', '   ', '\n', '\n\n', '\r\n', '\t', ' \t ', '\u00a0', '\u2003', '\u3000', '\u200b', '\ufeff', '\u0085',
  '😀', '👍🏽', '👨‍👩‍👧', '🎉', '🏳️‍🌈', '日本語', 'テキスト', '한국어', 'Ωμέγα', 'Привет', 'naïve', 'café', 'e\u0301',
  '1234567890', '3.14', '1,000', '٣', '²', 'Hello', ' world', 'User:', '\nBot:', '!!!', '...', '—', '$100', '<|end',
);
// U+0085 is Unicode White_Space and U+FEFF is not, though JavaScript's \s says the opposite.
const whitespace = fc.string({ unit: fc.constantFrom(' ', '\n', '\t', '\r', '\u00a0', '\u2028', '\u3000', '\v', '\f', '\u0085', '\ufeff') });
const digits = fc.integer({ min: -1_000_000, max: 1_000_000_000 }).map(String);

/** One mixed text: a concatenation of assorted pieces. */
export const mixedText = fc
  .array(
    fc.oneof(
      fragments,
      whitespace,
      digits,
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'grapheme-ascii' }),
      fc.string({ unit: 'binary-ascii' }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''))
  .filter((s) => !s.includes('<|endoftext|>'));

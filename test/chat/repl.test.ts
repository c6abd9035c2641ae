// The interactive terminal chat, driven through fake terminal streams: the reply streams in
// pieces, Ctrl-C stops a reply, a second Ctrl-C quits, and the commands answer (firmware mode,
// compared with the firmware engine's greedy runs).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runRepl } from '../../src/node/chat/repl.js';
import { loadModel } from '../../src/node/load.js';
import { sharedJson, V2_MODEL } from '../helpers/shared.js';

const golden = sharedJson<{ entries: { kind: string; prompt: string; kv80: { text: string } }[] }>('golden', 'generate_firmware_greedy.json').entries;
const model = await loadModel(V2_MODEL());
const ESC = /\x1b\[[0-9;]*[A-Za-z]/g; // colour and cursor codes

/** A fake terminal: what was written to stdout and stderr so far (without escape codes), and typing. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  const errors = new PassThrough();
  let out = '';
  let err = '';
  output.on('data', (d: Buffer) => (out += d.toString()));
  errors.on('data', (d: Buffer) => (err += d.toString()));
  return {
    io: { input, output, errors },
    out: () => out.replace(ESC, ''),
    err: () => err.replace(ESC, ''),
    type: (s: string) => input.write(s),
    /** Resolves once stdout (raw, escape codes included) matches. */
    until: async (re: RegExp) => {
      const end = Date.now() + 60_000;
      while (!re.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(out).toMatch(re);
    },
  };
}

describe('interactive chat', () => {
  it('streams a reply, Ctrl-C stops it, a second Ctrl-C quits', async () => {
    const t = terminal();
    const story = golden.find((g) => g.kind === 'story')!;
    const summary = /^Summary: (.*)\nStory:$/s.exec(story.prompt)![1]!;
    const done = runRepl(model, { modelName: 'v2', io: t.io, settings: { firmware: true, temperature: 0, maxReply: -1, mode: 'story' } });
    t.type(`${summary}\r`);
    await t.until(/\x1b\[36m\S/); // the first piece of the reply, in cyan
    t.type('\x03');
    await t.until(/\x1b\[0m\n/); // the reply line was closed
    t.type('\x03');
    await done;
    // What was shown is the start of what the firmware engine says, cut short.
    const shown = /\n(.*)\n/.exec(t.out().slice(t.out().indexOf(summary)))![1]!;
    expect(shown.length).toBeGreaterThan(0);
    expect(story.kv80.text.trimStart().startsWith(shown)).toBe(true);
    expect(shown.length).toBeLessThan(story.kv80.text.trimStart().length);
    expect(t.err()).toContain('(stopped)');
    expect(t.err()).not.toContain('Ctrl-C again');
  });

  it('at the prompt the first Ctrl-C asks, the second quits; commands answer on stderr', async () => {
    const t = terminal();
    const done = runRepl(model, { modelName: 'v2', io: t.io, settings: { firmware: true, temperature: 0 } });
    t.type('/help\r/max 20\r/seed 7\r/seed\r/mode\r/mode chat\rhi! how are you today?\r');
    const hi = golden.find((g) => g.prompt === 'User: hi! how are you today?\nBot:')!;
    await t.until(/\x1b\[0m\n/);
    t.type('\x03');
    await new Promise((r) => setTimeout(r, 50));
    t.type('\x03');
    await done;
    const err = t.err();
    expect(err).toContain('firmware mode');
    expect(err).toContain('/new            forget the conversation');
    expect(err).toContain('max reply: 20 tokens (prompt budget 59 tokens)');
    expect(err).toMatch(/seed: 7\n[^]*seed: random\n/);
    expect(err).toContain('mode: story');
    expect(err).toContain('(Ctrl-C again to quit, or /exit)');
    expect(err).toContain('mode: chat');
    expect(t.out()).toContain(`${hi.kv80.text.trimStart()}\n`);
  });
});

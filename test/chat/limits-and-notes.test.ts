// How long replies are and what the chat tells the user about them: stories run to their end
// outside firmware mode, a reply cut by the limit says so and how to raise it, /temp and /max
// without an argument show their values (what was set, and the budget rule of firmware-format.md
// 5.2, as oracles), notes about the prompt come before the reply they concern,
// and mistakes look like errors, not like notes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runRepl } from '../../src/node/chat/repl.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, V2_MODEL } from '../helpers/shared.js';

const chat = (args: string[], lines: string[]) => tinytalk(['chat', ...args], { input: `${lines.join('\n')}\n` });
const replies = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; finish_reason: string });
const SUMMARY = 'a girl finds a lost cat.';

describe('story replies', () => {
  it('run until the story ends outside firmware mode', () => {
    const r = chat(['--model', HF_STANDIN(), '--mode', 'story', '--temperature', '0', '--json'], [SUMMARY]);
    expect(r.status, r.stderr).toBe(0);
    const [story] = replies(r.stdout);
    expect(story!.finish_reason).toBe('eos');
    expect(story!.ids.length).toBeGreaterThan(44);
    expect(r.stderr).not.toMatch(/cut at/);
  });

  it("keep the device's 44 tokens in firmware mode, and say that the limit cut them", () => {
    const r = chat(['--model', V2_MODEL(), '--firmware', '--mode', 'story', '--temperature', '0', '--json'], [SUMMARY]);
    expect(r.status, r.stderr).toBe(0);
    const [story] = replies(r.stdout);
    expect(story).toMatchObject({ finish_reason: 'length' });
    expect(story!.ids).toHaveLength(44);
    expect(r.stderr).toContain('(cut at the 44-token reply limit: /max raises it, /max -1 lets the model finish; --max-reply on the command line)\n');
  });

  it('a limit the user set holds in every mode', () => {
    const r = chat(['--model', HF_STANDIN(), '--mode', 'story', '--temperature', '0', '--max-reply', '20', '--json'], [SUMMARY, '/mode chat', 'hi! how are you today?']);
    expect(r.status, r.stderr).toBe(0);
    const [story] = replies(r.stdout);
    expect(story).toMatchObject({ finish_reason: 'length' });
    expect(story!.ids).toHaveLength(20);
    expect(r.stderr).toContain('(cut at the 20-token reply limit');
  });
});

describe('/temp and /max without an argument', () => {
  it('show the current values', () => {
    const positions = JSON.parse(readFileSync(join(HF_STANDIN(), 'config.json'), 'utf8')).max_position_embeddings as number;
    const r = chat(['--model', HF_STANDIN(), '--temperature', '0.3'], ['/temp', '/max', '/mode story', '/max', '/max 30', '/mode chat', '/max']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n').slice(1); // after the banner
    expect(lines).toEqual([
      'temperature: 0.3',
      `max reply: 44 tokens (prompt budget ${positions - 44 - 1} tokens)`, // 5.2: context − max_reply − 1
      'mode: story',
      `max reply: unlimited (prompt budget ${positions - 1} tokens)`,
      `max reply: 30 tokens (prompt budget ${positions - 30 - 1} tokens)`,
      'mode: chat',
      `max reply: 30 tokens (prompt budget ${positions - 30 - 1} tokens)`,
    ]);
  });
});

describe('in a terminal', () => {
  /** A fake terminal whose stdout and stderr land in one log, in the order they were written. */
  function terminal() {
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
    const output = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    const errors = new PassThrough();
    let log = '';
    output.on('data', (d: Buffer) => (log += d.toString()));
    errors.on('data', (d: Buffer) => (log += d.toString()));
    return { io: { input, output, errors }, log: () => log, type: (s: string) => input.write(s) };
  }

  it('a note about the prompt comes before the reply; a mistake is red, a note dim', async () => {
    const golden = sharedJson<{ entries: { prompt: string; kv80: { text: string } }[] }>('golden', 'generate_firmware_greedy.json').entries;
    const model = await loadModel(V2_MODEL());
    const t = terminal();
    const done = runRepl(model, { modelName: 'tinytalk', settings: { firmware: true, temperature: 0 }, io: t.io });
    // 5.3's computed example: at the default budget (35) the first exchange does not fit beside the second message
    t.type('hi! how are you today?\r');
    t.type('what is your name?\r');
    t.type('/temp abc\r');
    t.type('/exit\r');
    await done;
    const log = t.log();
    const note = log.indexOf('\x1b[2m(the oldest exchange is left out to fit the 35-token prompt budget; /new starts over)\x1b[0m\n');
    const second = golden.find((e) => e.prompt === 'User: what is your name?\nBot:')!.kv80.text.trim();
    const reply = log.lastIndexOf(second.slice(0, 10));
    expect(note).toBeGreaterThan(log.indexOf("I'm doing well"));
    expect(reply).toBeGreaterThan(note);
    expect(log).toContain('\x1b[31mtinytalk: /temp needs a number, got "abc"\x1b[0m\n');
  });
});

// `tinytalk chat` scripted through stdin (the built CLI), against the firmware engine's goldens
// (firmware mode, single and multi-turn, greedy and seeded) and the PyTorch reference's greedy
// replies (reference mode: the model from the hub mirror, and the v3 blob holding the same
// weights), plus the hub download path end to end through a local server.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import { replyLine } from '../../src/node/chat/repl.js';
import { loadModel } from '../../src/node/load.js';
import { startHubServer } from '../hub/hub-server.js';
import { BIN, tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, ROOT, SHARED, sharedJson, V2_MODEL, V3_MODEL } from '../helpers/shared.js';

interface Run {
  prompt_ids: number[];
  ids: number[];
  text: string;
  finish_reason: string;
}
const firmwareGolden = sharedJson<{ entries: { kind: string; prompt: string; kv80: Run }[] }>('golden', 'generate_firmware_greedy.json').entries;
const sampled = sharedJson<{ entries: { prompt: string; prompt_ids: number[]; text: string }[] }>('golden', 'sample_firmware_seed1234.json').entries;
const torchGolden = sharedJson<{ entries: { kind: string; prompt: string; text: string; finish_reason: string }[] }>('golden', 'hf_forward_f32.json').entries;

const message = (prompt: string): string => /^(?:User|Summary): (.*)\n(?:Bot|Story):$/s.exec(prompt)![1]!;
const chatGolden = (text: string): Run => firmwareGolden.find((e) => e.prompt === `User: ${text}\nBot:`)!.kv80;
const lines = (s: string): string[] => s.split('\n').slice(0, -1);
const json = (s: string): Array<Record<string, any>> => lines(s).map((l) => JSON.parse(l));

function chat(args: string[], input: string[], env: NodeJS.ProcessEnv = {}) {
  return tinytalk(['chat', ...args], { input: `${input.join('\n')}\n`, env: { ...process.env, ...env } });
}

describe('tinytalk chat --firmware (scripted)', () => {
  it('answers greedily as the firmware engine did, and trims history to the 35-token budget', () => {
    const r = chat(['--model', V2_MODEL(), '--firmware', '--temperature', '0', '--json'], [
      'hi! how are you today?',
      'what is your name?', // history (24 tokens) + message (10) + 2 > 35: the exchange is left out
      '/new',
      'i just got a new puppy!',
      'what do you want to be when you grow up?', // 23 + 2 + 16 > 35: left out again
    ]);
    expect(r.stderr).toContain('firmware mode');
    expect(r.status, r.stderr).toBe(0);
    const out = json(r.stdout);
    expect(out).toHaveLength(4);
    const texts = ['hi! how are you today?', 'what is your name?', 'i just got a new puppy!', 'what do you want to be when you grow up?'];
    texts.forEach((t, i) => {
      expect(out[i]!.prompt_ids, t).toEqual(chatGolden(t).prompt_ids);
      expect(out[i]!.ids, t).toEqual(chatGolden(t).ids);
      expect(out[i]!.text).toBe(chatGolden(t).text);
    });
    expect(out[1]).toMatchObject({ kept: 0, dropped: 1 });
    expect(r.stderr).toMatch(/left out to fit the 35-token prompt budget/);
  });

  it('keeps the exchange with an unlimited reply (budget 79): the computed example of 5.3', () => {
    const r = chat(['--model', V2_MODEL(), '--firmware', '--temperature', '0', '--json', '--max-reply', '-1'], ['hi! how are you today?', 'what is your name?']);
    const out = json(r.stdout);
    const first = chatGolden('hi! how are you today?');
    expect(out[0]!.text).toBe(first.text);
    expect(out[1]!.prompt_ids).toEqual([...first.prompt_ids, ...first.ids, 14018, 198, 7815, 25, 642, 318, 533, 1382, 30, 198, 9961, 25]);
    expect(out[1]!.text).toMatch(/^ \w/); // a reply, starting as the model's replies do
  });

  it('with --seed 1234 and temperature 0.8 samples what the device sampled, across modes and commands', () => {
    const [hi, likes, story, raw, day] = sampled;
    const r = chat(['--model', V2_MODEL(), '--firmware', '--temperature', '0.8', '--seed', '1234', '--max-reply', '40'], [
      message(hi!.prompt),
      '/new',
      message(likes!.prompt),
      '/mode story',
      message(story!.prompt),
      '/mode raw',
      raw!.prompt,
      '/mode chat',
      '/new',
      message(day!.prompt),
      '/temp 0',
      '/new',
      'good night!',
    ]);
    expect(r.status, r.stderr).toBe(0);
    // One line per message, none for commands; newlines in a reply come out as \n.
    expect(lines(r.stdout)).toEqual([hi, likes, story, raw, day].map((e) => replyLine(e!.text)).concat(replyLine(chatGolden('good night!').text)));
    expect(r.stderr).toMatch(/mode: story[\s\S]*mode: raw[\s\S]*temperature: 0 \(greedy\)/);
  });

  it('with a seed, a remembered conversation gets the firmware engine\'s replies to the device\'s prompts', async () => {
    const model = await loadModel(V2_MODEL());
    const EOS = 14018;
    const NEWLINE = 198;
    const [hi, likes, , , day] = sampled;
    const texts = [message(hi!.prompt), message(likes!.prompt), message(day!.prompt)];
    const r = chat(['--model', V2_MODEL(), '--firmware', '--seed', '1234', '--max-reply', '12', '--json'], [...texts, '/new', texts[2]!]);
    expect(r.status, r.stderr).toBe(0);
    const out = json(r.stdout);
    expect(out).toHaveLength(4);
    // Each turn's prompt as section 5.3 builds it: every past exchange (all fit the 67-token budget
    // here), each followed by EOS and "\n", then the message; the reply is what the firmware engine
    // samples from that prompt with seed 1234 at the device's temperature 0.8.
    const history: number[] = [];
    const currents = [hi!.prompt_ids, likes!.prompt_ids, day!.prompt_ids];
    for (let turn = 0; turn < 3; turn++) {
      const promptIds = [...history, ...currents[turn]!];
      expect(promptIds.length).toBeLessThanOrEqual(80 - 12 - 1);
      const engine = await generate(model, promptIds, { firmware: true, temperature: 0.8, seed: 1234, maxTokens: 12 });
      expect(engine.text).not.toContain('\nUser');
      expect(out[turn]!.prompt_ids, texts[turn]).toEqual(promptIds);
      expect(out[turn]!.ids, texts[turn]).toEqual(engine.ids);
      expect(out[turn]!.text, texts[turn]).toBe(engine.text);
      expect(out[turn]!.kept).toBe(turn);
      history.push(...model.tokenizer.encode(`User: ${texts[turn]}\nBot:${engine.text}`, { mode: 'device' }), EOS, NEWLINE);
    }
    // The first reply and the reply after /new are the device's own sampled texts.
    expect(out[0]!.text).toBe(hi!.text);
    expect(out[3]!.text).toBe(day!.text);
    expect(out[3]!.prompt_ids).toEqual(day!.prompt_ids);
  });

  it('reports bad commands on stderr and keeps going; /exit ends the session', () => {
    const r = chat(['--model', V2_MODEL(), '--firmware', '--temperature', '0', '--stats'], ['/temp warm', '/bogus', '/max 0', '/max -2', '/max 44', 'hello\t', '/exit', 'never answered']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([replyLine(chatGolden('hello').text)]);
    expect(r.stderr).toContain('tinytalk: /temp needs a number');
    expect(r.stderr).toContain('unknown command /bogus');
    expect(r.stderr).toContain('max reply must be');
    expect(r.stderr).toContain('max reply: unsafe (wraps around the window) (prompt budget 79 tokens)');
    expect(r.stderr).toContain("(sent as the device's keyboard takes it: printable ASCII, at most 201 characters)");
    expect(r.stderr).toMatch(/\d+ tok \/ [\d.]+ s \([\d.]+ tok\/s\)/);
  });
});

describe('tinytalk chat (reference mode, the default hub model from a mirror)', () => {
  const env = { HF_ENDPOINT: join(SHARED, 'hub') };

  it('gives the PyTorch reference\'s greedy replies', () => {
    const chats = torchGolden.filter((e) => e.kind === 'chat' && e.finish_reason === 'eos');
    const input = chats.flatMap((e) => [message(e.prompt), '/new']);
    const r = chat(['--temperature', '0', '--max-reply', '40'], input, env);
    // the mirror's directory as typed from the current folder
    expect(r.stderr).toContain(`TheREZOR/TinyTalk (hf, ${relative(ROOT, HF_STANDIN())}): float32 reference, 256-token context`);
    expect(lines(r.stdout)).toEqual(chats.map((e) => replyLine(e.text)));
  });

  it('gives the same replies from the calculator port\'s v3 blob (the same weights, another vocabulary prune)', () => {
    const chats = torchGolden.filter((e) => e.kind === 'chat' && e.finish_reason === 'eos');
    const r = chat(['--model', V3_MODEL(), '--temperature', '0', '--max-reply', '40'], chats.flatMap((e) => [message(e.prompt), '/new']));
    expect(r.stderr).toContain('firmware blob v3');
    expect(lines(r.stdout)).toEqual(chats.map((e) => replyLine(e.text)));
  });

  it('never cuts a message silently and says when the context is full', () => {
    const r = chat(['--temperature', '0', '--context', '16', '--max-reply', '-1', '--json'], ['hi! how are you today?', 'tell me a long story about a dog and a cat and a bird in the park'], env);
    const [full, tooLong] = json(r.stdout);
    expect(full!.finish_reason).toBe('context');
    expect(full!.prompt_ids.length + full!.ids.length).toBe(16);
    expect(r.stderr).toContain('the context is full');
    expect(tooLong!.error).toMatch(/that message is \d+ tokens but only 15 fit/);
  });

  it('explains a hub id it cannot find', () => {
    const r = chat(['--model', 'nobody/absent'], ['hi'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tinytalk: nobody\/absent is not in the mirror/);
  });
});

describe('tinytalk chat with a hub server', () => {
  it('downloads the model once, then chats offline from the cache', async () => {
    const server = await startHubServer({ repos: { 'TheREZOR/TinyTalk': HF_STANDIN() } });
    const cache = mkdtempSync(join(tmpdir(), 'tinytalk-chat-hub-'));
    try {
      const run = (env: NodeJS.ProcessEnv) =>
        new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
          const child = execFile(process.execPath, [BIN, 'chat', '--temperature', '0', '--max-reply', '40'], { env: { ...process.env, HF_HUB_CACHE: cache, ...env } }, (err, stdout, stderr) =>
            err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
          );
          child.stdin!.end('what is your name?\n');
        });
      const expected = `${replyLine(torchGolden.find((e) => e.prompt === 'User: what is your name?\nBot:')!.text)}\n`;
      const online = await run({ HF_ENDPOINT: server.url });
      expect(online.stdout).toBe(expected);
      // the banner names the snapshot in the cache (relative to the working directory when shorter)
      const shownPath = /\(hf, ([^)]*models--TheREZOR--TinyTalk\/snapshots\/[0-9a-f]+)\)/.exec(online.stderr)?.[1];
      expect(shownPath, online.stderr).toBeDefined();
      expect(resolve(shownPath!).startsWith(join(cache, 'models--TheREZOR--TinyTalk', 'snapshots'))).toBe(true);
      await server.close();
      expect((await run({ HF_ENDPOINT: server.url, HF_HUB_OFFLINE: '1' })).stdout).toBe(expected);
    } finally {
      await server.close();
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

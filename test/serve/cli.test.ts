// `tinytalk serve` as a user runs it (the built bin): loopback by default, page and API up, a reply, clean stop.
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli.js';
import { V2_MODEL } from '../helpers/shared.js';
import { golden } from './helpers.js';

describe('tinytalk serve', () => {
  it('serves a firmware blob on 127.0.0.1 (2 kernel threads) and stops on SIGTERM', async () => {
    const { url, child } = await startServe(['--model', V2_MODEL(), '--port', '0', '--threads', '2']);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = (await (await fetch(`${url}/health`)).json()) as { status: string; model: string };
      expect(health).toMatchObject({ status: 'ok', model: 'model_neo_q4' });
      const page = await fetch(`${url}/`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<title>TinyTalk</title>');
      const files = (await (await fetch(`${url}/v1/model-files`)).json()) as { files: { name: string; size: number }[] };
      expect(files.files.map((f) => f.name)).toEqual(['model_neo_q4.bin', 'tok_neo.bin']);
      const blob = await fetch(`${url}/v1/model-files/model_neo_q4.bin`);
      expect(new TextDecoder().decode((await blob.arrayBuffer()).slice(0, 4))).toBe('CRDP');
      // The Q4_0 blob run by the float32 engine gives the PyTorch stand-in's greedy reply here.
      const e = golden().filter((x) => x.kind === 'chat')[4]!;
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: /^User: (.*)\nBot:$/s.exec(e.prompt)![1] }], temperature: 0, max_tokens: 40 }),
      });
      expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(e.text);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });

  it('refuses a bad option with a clear message', async () => {
    const { tinytalk } = await import('../helpers/cli.js');
    const r = tinytalk(['serve', '--model', V2_MODEL(), '--port', 'eighty']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--port');
  });
});

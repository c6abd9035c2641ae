// The download progress bar: drawn on a terminal, silent for scripts and logs.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../src/node/hub/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(s, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

describe('progressBar', () => {
  it('shows each file with its bytes and percentage on a terminal', async () => {
    const { stream, text } = fakeStream(true);
    const bar = progressBar(stream);
    bar('model.safetensors', 0, 4000);
    bar('model.safetensors', 1000, 4000);
    bar('model.safetensors', 4000, 4000);
    bar('tokenizer.json', 50, 100);
    bar('tokenizer.json', 100, 100);
    await new Promise((r) => setImmediate(r));
    expect(text()).toMatch(/model\.safetensors \[[^\]]*\] 100% 4000\/4000 bytes/);
    expect(text()).toMatch(/tokenizer\.json \[[^\]]*\] 100% 100\/100 bytes/);
  });

  it('writes nothing when the stream is not a terminal', async () => {
    const { stream, text } = fakeStream(false);
    const bar = progressBar(stream);
    bar('model.safetensors', 0, 4000);
    bar('model.safetensors', 4000, 4000);
    await new Promise((r) => setImmediate(r));
    expect(text()).toBe('');
  });
});

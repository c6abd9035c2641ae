// End to end in headless Chromium: the page served at / chats through the server, then loads the
// model into a Web Worker and chats in the browser; greedy replies equal the PyTorch goldens. Then
// the page on a phone-sized screen and its small rules: replies shown from their first word, the
// tokens of a stopped reply counted, no empty bubble above an error, a placeholder per mode.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from '../../scripts/build-web.mjs';
import type { RunningServer } from '../../src/node/server/server.js';
import { ROOT, V2_MODEL, V2_TOKENIZER } from '../helpers/shared.js';
import { golden, serveShared } from './helpers.js';

let server: RunningServer;
let browser: Browser;
let page: Page;
const chats = golden().filter((e) => e.kind === 'chat');
const story = golden().find((x) => x.kind === 'story')!;
/** The story whose reply starts with a newline after its space. */
const newlineStory = golden().find((x) => x.kind === 'story' && x.text.startsWith(' \n'))!;
const userText = (prompt: string) => /^User: (.*)\nBot:$/s.exec(prompt)![1]!;
const storyText = (prompt: string) => /^Summary: (.*)\nStory:$/s.exec(prompt)![1]!;
/** The page shows a reply without the space it starts with. */
const shown = (text: string) => text.replace(/^ /, '');

beforeAll(async () => {
  await buildWeb(); // the page as `npm run build` bundles it
  server = await serveShared();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  page.on('pageerror', (e) => console.error('page error:', e));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Sends a message and returns the bot's reply text once it is complete. */
async function say(text: string): Promise<string> {
  const before = await page.locator('.msg.bot').count();
  // Counts the separate moments (observer callbacks) at which the conversation changed.
  await page.evaluate(() => {
    const w = window as unknown as { updates: number; observer?: MutationObserver };
    w.observer?.disconnect();
    w.updates = 0;
    w.observer = new MutationObserver(() => w.updates++);
    w.observer.observe(document.getElementById('log')!, { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#input', text);
  await page.click('#send');
  const reply = page.locator('.msg.bot').nth(before);
  await reply.locator('.meta').waitFor({ timeout: 60_000 });
  return reply.evaluate((el) => el.firstChild?.textContent ?? '');
}

/** Times the page changed during the last say(): a streamed 40-token reply shows up piece by piece. */
const updates = () => page.evaluate(() => (window as unknown as { updates: number }).updates);

describe('the chat page in Chromium', () => {
  it('chats through the server', async () => {
    await page.goto(server.url);
    await expect(page.title()).resolves.toBe('TinyTalk');
    await page.fill('#temperature', '0');
    await page.fill('#maxTokens', '40');
    const e = chats[0]!;
    expect(await say(userText(e.prompt))).toBe(shown(e.text));
    await page.selectOption('#mode', 'story');
    expect(await say(storyText(story.prompt))).toBe(shown(story.text));
    expect(await updates()).toBeGreaterThanOrEqual(10);
    await page.selectOption('#mode', 'chat');
    expect(await page.locator('.msg.error').count()).toBe(0);
  });

  it('loads the model from the server into a Web Worker and chats in the browser', async () => {
    await page.check('input[name=runner][value=browser]');
    await page.click('#load-server');
    await expect.poll(() => page.textContent('#model-status'), { timeout: 60_000 }).toMatch(/^Loaded:/);
    await page.click('#clear');
    const e = chats[2]!;
    expect(await say(userText(e.prompt))).toBe(shown(e.text));
    const meta = await page.locator('.msg.bot .meta').last().textContent();
    expect(meta).toContain('browser');
    await page.selectOption('#mode', 'story');
    expect(await say(storyText(story.prompt))).toBe(shown(story.text));
    expect(await updates()).toBeGreaterThanOrEqual(10);
  });

  it('runs a firmware .bin + tokenizer the user picks (Q4_0 weights, float32 engine: the same greedy text)', async () => {
    await page.setInputFiles('#files', [V2_MODEL(), V2_TOKENIZER()]);
    await expect.poll(() => page.textContent('#model-status'), { timeout: 60_000 }).toMatch(/^Loaded: model_neo_q4\.bin \(crdp/);
    await page.selectOption('#mode', 'chat');
    await page.click('#clear');
    const e = chats[4]!;
    expect(await say(userText(e.prompt))).toBe(shown(e.text));
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output', 'serve-page.png') });
    expect(await page.locator('.msg.error').count()).toBe(0);
  });
});

describe('the chat page on a phone, and its small rules', () => {
  it('fits a 390 × 844 screen: settings, New and the runner choice on it, user bubbles whole', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await phone.goto(server.url);
      await phone.fill('#temperature', '0');
      await phone.fill('#maxTokens', '8');
      await phone.fill('#input', 'this is a long message from a small screen, '.repeat(6).trim());
      await phone.click('#send');
      await phone.locator('.msg.bot .meta').waitFor({ timeout: 60_000 });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      for (const selector of ['#clear', '#send', '#mode', 'input[name=runner][value=browser]', '#tab-teach', '#temperature', '#load-server']) {
        const box = (await phone.locator(selector).boundingBox())!;
        expect(box.x, selector).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, selector).toBeLessThanOrEqual(390);
      }
      const user = phone.locator('.msg.user').first();
      const box = (await user.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(await user.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      await phone.screenshot({ path: join(ROOT, 'test-output', 'chat-phone.png'), fullPage: true });
      // the Teach view too
      await phone.click('#tab-teach');
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      for (const selector of ['#data-file', '#t-threads', '#t-start', '#dl-hf']) {
        const b = (await phone.locator(selector).boundingBox())!;
        expect(b.x + b.width, selector).toBeLessThanOrEqual(390);
      }
      await phone.screenshot({ path: join(ROOT, 'test-output', 'teach-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('shows a story from its first word (no blank line from the newline the model starts with)', async () => {
    await page.check('input[name=runner][value=server]');
    await page.fill('#temperature', '0');
    await page.fill('#maxTokens', '40');
    await page.selectOption('#mode', 'story');
    expect(await say(storyText(newlineStory.prompt))).toBe(newlineStory.text.replace(/^\s+/, ''));
  });

  it('counts the tokens a stopped reply showed', async () => {
    await page.selectOption('#mode', 'raw');
    await page.fill('#maxTokens', '250');
    const before = await page.locator('.msg.bot').count();
    await page.fill('#input', 'Once upon a time');
    await page.click('#send');
    const reply = page.locator('.msg.bot').nth(before);
    await expect.poll(() => reply.evaluate((el) => el.textContent!.length), { timeout: 60_000, interval: 20 }).toBeGreaterThan(30);
    await page.click('#stop');
    const meta = (await reply.locator('.meta').textContent({ timeout: 60_000 }))!;
    expect(meta).toMatch(/· stopped$/);
    const shown = await reply.evaluate((el) => el.firstChild?.textContent ?? '');
    const words = shown.split(/\s+/).filter(Boolean).length;
    expect(Number(/· (\d+) tokens/.exec(meta)![1])).toBeGreaterThanOrEqual(words);
  });

  it('leaves no empty bubble above a server error', async () => {
    await page.selectOption('#mode', 'chat');
    await page.fill('#maxTokens', '40');
    await page.fill('#temperature', '5');
    const bots = await page.locator('.msg.bot').count();
    const errors = await page.locator('.msg.error').count();
    await page.fill('#input', 'hello');
    await page.click('#send');
    await expect.poll(() => page.locator('.msg.error').count(), { timeout: 60_000 }).toBe(errors + 1);
    expect(await page.locator('.msg.error').last().textContent()).toMatch(/temperature/);
    expect(await page.locator('.msg.bot').count()).toBe(bots);
    await page.fill('#temperature', '0');
  });

  it('asks for what each mode takes in its placeholder', async () => {
    const placeholder = async (mode: string) => {
      await page.selectOption('#mode', mode);
      return page.getAttribute('#input', 'placeholder');
    };
    expect(await placeholder('story')).toMatch(/summary of a story/);
    expect(await placeholder('raw')).toMatch(/continue/);
    expect(await placeholder('chat')).toBe('Say hi to TinyTalk…');
  });
});

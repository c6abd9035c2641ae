// End to end in headless Chromium: the page served at / chats through the server, then loads the
// model into a Web Worker and chats in the browser; greedy replies equal the PyTorch goldens.
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

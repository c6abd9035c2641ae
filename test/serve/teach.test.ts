// The Teach view end to end in headless Chromium. Served by `tinytalk serve` (cross-origin
// isolated): pick a persona CSV, see the same dataset report as `tinytalk train`, train a few steps
// on two worker threads, watch the loss chart and the validation loss go down (to the same values
// as `tinytalk train` with the same settings and threads), chat with the tuned
// model, download its firmware blobs and its Hugging Face folder, and check that `tinytalk` in
// Node loads them and gives the same greedy replies as the page. Then the same run as a static
// site (no isolation: one worker), the model fetched from URLs, then paused, resumed and stopped.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { buildWeb } from '../../scripts/build-web.mjs';
import type { RunningServer } from '../../src/node/server/server.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, ROOT, sharedPath } from '../helpers/shared.js';
import { personaSlice } from '../train/helpers.js';
import { serveShared } from './helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const OUT = join(ROOT, 'test-output');
const dir = mkdtempSync(join(tmpdir(), 'tinytalk-teach-'));
/** 40 conversations: the default split holds out every 20th, so 2 validate and 38 train. */
const csv = personaSlice(0, 40, dir);
/** The short run's settings, by the page's field (t-<name>) and the CLI's flag (--kebab-case name). */
const SETTINGS = { steps: '6', batch: '2', seqLen: '64', lr: '3e-5', warmup: '1', valEvery: '3', saveEvery: '3', valBlocks: '8' };
/** A message the short run changes the greedy reply to (checked below), so the replies tell the two models apart. */
const ASK = 'What is your favorite food?';

let server: RunningServer;
let site: StaticServer;
let browser: Browser;

beforeAll(async () => {
  await buildWeb();
  mkdirSync(OUT, { recursive: true });
  server = await serveShared();
  // the static site: dist/web as a plain host serves it (no COOP/COEP, no API), the model files beside it
  site = await serveStatic({ '/': join(ROOT, 'dist', 'web'), '/models/': join(sharedPath('models', 'tinytalk-q4'), '/') });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await site?.close();
});

async function newPage(url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(url);
  return page;
}

/** Picks the CSV and the short run's settings; returns the dataset report the page shows. */
async function pickData(page: Page, threads: number): Promise<string> {
  await page.click('#tab-teach');
  await page.setInputFiles('#data-file', csv);
  await expect.poll(() => page.textContent('#data-report'), { timeout: 60_000 }).toMatch(/^train: /);
  await page.click('#teach-view details summary'); // "More settings"
  for (const [name, value] of Object.entries(SETTINGS)) await page.fill(`#t-${name}`, value);
  if (threads > 1) await page.fill('#t-threads', String(threads));
  await page.dispatchEvent('#t-seqLen', 'change'); // the report again, for 64-token sequences
  await expect.poll(() => page.textContent('#data-report'), { timeout: 60_000 }).toMatch(/in \d+ sequences/);
  await page.waitForFunction(() => !document.getElementById('data-report')!.textContent!.startsWith('Reading'));
  return (await page.textContent('#data-report'))!;
}

/** Starts the run and waits for its end; returns the validation losses before and after. */
async function teach(page: Page): Promise<{ before: number; after: number; progress: string }> {
  await page.click('#t-start');
  await expect.poll(() => page.textContent('#t-progress'), { timeout: 300_000, interval: 500 }).toMatch(/^(Done|Stopped) after|rror/);
  const progress = (await page.textContent('#t-progress'))!;
  const m = /validation loss: ([\d.]+) before, ([\d.]+) after 6 steps/.exec((await page.textContent('#t-eval'))!);
  expect(m, progress).not.toBeNull();
  return { before: Number(m![1]), after: Number(m![2]), progress };
}

/** The chart's training line points and validation dots. */
const chartPoints = (page: Page) =>
  page.evaluate(() => ({
    line: (document.querySelector('#chart polyline')?.getAttribute('points') ?? '').trim().split(/\s+/).filter(Boolean).length,
    dots: document.querySelectorAll('#chart circle').length - 1, // one circle is the legend's
  }));

/** Sends a chat message and returns the reply as shown, once complete. */
async function say(page: Page, text: string): Promise<{ text: string; meta: string }> {
  const before = await page.locator('.msg.bot').count();
  await page.fill('#input', text);
  await page.click('#send');
  const reply = page.locator('.msg.bot').nth(before);
  await reply.locator('.meta').waitFor({ timeout: 60_000 });
  return { text: (await reply.evaluate((el) => el.firstChild?.textContent ?? ''))!, meta: (await reply.locator('.meta').textContent())! };
}

/** Clicks a download button, then every link it produced; returns the saved files' paths by name. */
async function download(page: Page, button: string, into: string): Promise<Map<string, string>> {
  const before = await page.locator('#downloads a').count();
  await page.click(button);
  await expect.poll(() => page.locator('#downloads a').count(), { timeout: 60_000 }).toBeGreaterThan(before);
  const saved = new Map<string, string>();
  for (const link of (await page.locator('#downloads a').all()).slice(before)) {
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const path = join(into, file.suggestedFilename());
    await file.saveAs(path);
    saved.set(file.suggestedFilename(), path);
  }
  return saved;
}

/** Downloads the Hugging Face folder and unzips it (fflate) into `into`; returns the folder's path. */
async function downloadHf(page: Page, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  const zip = await download(page, '#dl-hf', into);
  for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(readFileSync(zip.get('tinytalk-tuned.zip')!))))) {
    mkdirSync(join(into, name, '..'), { recursive: true });
    writeFileSync(join(into, name), bytes);
  }
  return join(into, 'tinytalk-tuned');
}

/** `tinytalk generate` greedy on one chat message: the reply's text as the page shows it. */
function nodeReply(model: string, extra: string[] = []): string {
  const r = tinytalk(['generate', '--model', model, '--prompt', `User: ${ASK}\nBot:`, '--temperature', '0', '--json', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { text: string; finish_reason: string };
  expect(out.finish_reason).toBe('eos'); // a whole reply: the page's chat rules end it the same way
  return out.text.replace(/^\s+/, '');
}

describe('the Teach view in Chromium', () => {
  it('teaches on two worker threads, chats with the tuned model and downloads blobs tinytalk loads', async () => {
    const page = await newPage(server.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // `serve` sends COOP/COEP
    await page.click('#load-server');
    await expect.poll(() => page.textContent('#model-status'), { timeout: 60_000 }).toMatch(/^Loaded:/);

    // the same dataset report as `tinytalk train` on the same file and settings
    const report = await pickData(page, 2);
    expect(await page.locator('#bot-speaker option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['User 1', 'User 2']);
    expect(await page.inputValue('#bot-speaker')).toBe('User 2');
    const cli = tinytalk(['train', '--model', HF_STANDIN(), '--data', csv, '--out', join(dir, 'cli-run'), '--json', ...Object.entries(SETTINGS).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v]), '--threads', '2']);
    expect(cli.status, cli.stderr).toBe(0);
    expect(report.split('\n')).toEqual(cli.stderr.split('\n').filter((l) => /^(train|validation): \d+ samples/.test(l)));
    expect(report).toMatch(/^train: 38 samples \(38 chats, 0 stories\).*\nvalidation: 2 samples \(2 chats/);
    const cliRun = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { val_loss_before: number; val_loss_after: number };

    const run = await teach(page);
    expect(run.progress).toMatch(/^Done after 6 steps · \d+ tokens\/s/);
    expect(run.after).toBeLessThan(run.before);
    // the same trainer as the CLI's: the same validation losses (the page shows 4 decimals)
    expect([run.before, run.after]).toEqual([cliRun.val_loss_before, cliRun.val_loss_after].map((l) => Number(l.toFixed(4))));
    expect(await chartPoints(page)).toEqual({ line: 6, dots: 3 }); // steps 1–6; validation at 0, 3 and 6
    await expect.poll(() => page.textContent('#tuned-status'), { timeout: 60_000 }).toMatch(/^Tuned: the checkpoint of step 6 /);
    await page.screenshot({ path: join(OUT, 'teach-two-threads.png'), fullPage: true });

    // the downloads: firmware v2 blobs and the Hugging Face folder, written in the page
    const files = await download(page, '#dl-firmware', dir);
    expect([...files.keys()].sort()).toEqual(['model_neo_q4.bin', 'tok_neo.bin']);
    await page.selectOption('#fw-version', '3');
    mkdirSync(join(dir, 'v3')); // a folder of its own: one tokenizer beside each blob
    const filesV3 = await download(page, '#dl-firmware', join(dir, 'v3'));
    expect([...filesV3.keys()].sort()).toEqual(['TINYTLK.BIN', 'TINYTLK.TOK']);
    const hfDir = await downloadHf(page, join(dir, 'two-threads'));

    // chat with the tuned model, like the device: the firmware blob in Node says the same
    await page.click('#t-try');
    expect(await page.inputValue('#which')).toBe('tuned');
    await page.fill('#temperature', '0');
    await page.check('#device');
    const device = await say(page, ASK);
    expect(device.meta).toMatch(/^like the device \(v2\) · \d+ tokens/);
    expect(device.text).toBe(nodeReply(files.get('model_neo_q4.bin')!, ['--firmware', '--max-tokens', '44']));
    // the v3 firmware's arithmetic on the same tuned weights: what the downloaded v3 blob says in Node
    await page.selectOption('#device-version', '3');
    await page.click('#clear');
    const deviceV3 = await say(page, ASK);
    expect(deviceV3.meta).toMatch(/^like the device \(v3\) · \d+ tokens/);
    expect(deviceV3.text).toBe(nodeReply(filesV3.get('TINYTLK.BIN')!, ['--firmware', '--max-tokens', '44']));
    await page.selectOption('#device-version', '2');
    // and in float32: the downloaded checkpoint in Node says the same, which the original does not
    await page.uncheck('#device');
    await page.click('#clear');
    const float = await say(page, ASK);
    expect(float.meta).toMatch(/^browser · \d+ tokens/);
    const tunedReply = nodeReply(hfDir, ['--max-tokens', '64']);
    const originalReply = nodeReply(HF_STANDIN(), ['--max-tokens', '64']);
    expect(tunedReply).not.toBe(originalReply);
    expect(float.text).toBe(tunedReply);

    // side by side with the original (on the server)
    await page.selectOption('#which', 'both');
    await page.click('#clear');
    await page.fill('#input', ASK);
    await page.click('#send');
    await expect.poll(() => page.locator('.pair .meta').count(), { timeout: 60_000 }).toBe(2);
    expect(await page.locator('.pair .meta').allTextContents()).toEqual([expect.stringMatching(/^original, server · /), expect.stringMatching(/^tuned, browser · /)]);
    expect(await page.locator('.pair .msg.bot').evaluateAll((b) => b.map((x) => x.firstChild?.textContent))).toEqual([originalReply, tunedReply]);
    await page.screenshot({ path: join(OUT, 'teach-chat-side-by-side.png'), fullPage: true });
    await page.close();
  }, 600_000);

  it('works as a static site in one worker (no cross-origin isolation), the model from URLs', async () => {
    const page = await newPage(`${site.url}/?model=models/model_neo_q4.bin&model=models/tok_neo.bin`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await expect.poll(() => page.textContent('#model-status'), { timeout: 60_000 }).toMatch(/^Loaded: model_neo_q4\.bin \(crdp/);
    expect(await page.isDisabled('input[name=runner][value=server]')).toBe(true);
    await pickData(page, 1);
    expect(await page.isDisabled('#t-threads')).toBe(true);
    expect(await page.inputValue('#t-threads')).toBe('1');
    const run = await teach(page);
    expect(run.progress).toMatch(/^Done after 6 steps/);
    expect(run.after).toBeLessThan(run.before);
    expect(await chartPoints(page)).toEqual({ line: 6, dots: 3 });
    await page.screenshot({ path: join(OUT, 'teach-one-worker.png'), fullPage: true });
    const gguf = await download(page, '#dl-gguf', dir);
    const inspect = tinytalk(['inspect', gguf.get('tinytalk-tuned-q8_0.gguf')!]);
    expect(inspect.status, inspect.stderr).toBe(0);
    const hfDir = await downloadHf(page, join(dir, 'one-worker'));
    await page.click('#t-try');
    await page.fill('#temperature', '0');
    const reply = await say(page, ASK);
    expect(reply.text).toBe(nodeReply(hfDir, ['--max-tokens', '64']));

    // a longer run, paused, resumed and stopped; the page answers in the chat meanwhile
    await page.click('#tab-teach');
    await page.fill('#t-steps', '40');
    await page.click('#t-start');
    const step = async () => Number(/^step (\d+) of 40/.exec((await page.textContent('#t-progress'))!)?.[1] ?? 0);
    await expect.poll(step, { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
    await page.click('#tab-chat');
    await page.selectOption('#which', 'original');
    expect((await say(page, ASK)).meta).toMatch(/^browser · \d+ tokens/);
    await page.click('#tab-teach');
    await page.click('#t-pause');
    await expect.poll(() => page.textContent('#t-progress'), { timeout: 60_000 }).toMatch(/^Paused at step \d+ of 40\.$/);
    const pausedAt = Number(/step (\d+)/.exec((await page.textContent('#t-progress'))!)![1]);
    await page.waitForTimeout(2000);
    expect((await chartPoints(page)).line).toBe(pausedAt); // no step while paused
    await page.click('#t-pause'); // Resume
    await expect.poll(step, { timeout: 60_000 }).toBeGreaterThan(pausedAt);
    await page.click('#t-stop');
    await expect.poll(() => page.textContent('#t-progress'), { timeout: 120_000 }).toMatch(/^Stopped after \d+ steps/);
    const stoppedAt = Number(/after (\d+) steps/.exec((await page.textContent('#t-progress'))!)![1]);
    expect(stoppedAt).toBeGreaterThan(pausedAt);
    expect(stoppedAt).toBeLessThan(40);
    expect(await page.textContent('#t-eval')).toMatch(new RegExp(`after ${stoppedAt} steps$`));
    await expect.poll(() => page.textContent('#tuned-status'), { timeout: 60_000 }).toBe(`Tuned: the checkpoint of step ${stoppedAt} (crdp, 8 layers, 14019 tokens)`);
    await page.close();
  }, 600_000);
});

// Benchmark of the page's Teach view (not a test): a fine-tune on the 1,000 persona conversations
// of ../shared/data with the CLI's defaults, in headless Chromium (Debian's /usr/bin/chromium)
// and with `tinytalk train`, the same data, settings and threads, run back to back.
// Prints, for each: training tokens/s (the same measure, tokens of the steps over their time), and
// for the browser the tab's memory: the peak resident size (VmHWM) of the page's renderer process,
// which runs the page and all its workers, beside that of the same page before a model is loaded.
// (performance.measureUserAgentSpecificMemory() is no help here: it counts the shared WebAssembly
// memories' address space, several times what is resident.)
//
//   npm run build && node scripts/bench-teach.mjs [--threads 2] [--steps 3] [--rounds 2]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared');
const { values: o } = parseArgs({ options: { threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '3' }, rounds: { type: 'string', default: '2' } } });
const data = join(shared, 'data', 'synthetic-persona-chat-valid.csv');
const model = join(shared, 'hub', 'TheREZOR', 'TinyTalk');
const { loadModel } = await import(join(root, 'dist/node/load.js'));
const { servedModel } = await import(join(root, 'dist/node/server/model.js'));
const { startServer } = await import(join(root, 'dist/node/server/server.js'));
const { TRAIN_DEFAULTS } = await import(join(root, 'dist/core/train/loop.js'));

/** Peak resident set (VmHWM) of each renderer process that descends from the browser process `root`, in bytes. */
function rendererPeaks(root) {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      parent.set(Number(pid), Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]));
    } catch {
      // a process that ended meanwhile
    }
  }
  const descends = (pid) => pid === root || (parent.has(pid) && pid > 1 && descends(parent.get(pid)));
  const peaks = [];
  for (const pid of parent.keys()) {
    try {
      if (!descends(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      peaks.push(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024);
    } catch {
      // a process that ended meanwhile
    }
  }
  return peaks;
}

async function browserRun(url) {
  // launched as a server to know its process, whose renderers are measured
  const browserServer = await chromium.launchServer({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const rootPid = browserServer.process().pid;
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const fresh = Math.max(...rendererPeaks(rootPid));
    await page.click('#load-server');
    await page.waitForFunction(() => document.getElementById('model-status').textContent.startsWith('Loaded:'), null, { timeout: 120_000 });
    await page.click('#tab-teach');
    await page.setInputFiles('#data-file', data);
    await page.waitForFunction(() => document.getElementById('data-report').textContent.startsWith('train:'), null, { timeout: 300_000 });
    const report = await page.textContent('#data-report');
    await page.fill('#t-steps', o.steps);
    await page.fill('#t-threads', o.threads);
    await page.click('#t-start');
    await page.waitForFunction(() => /^(Done|Stopped) after|rror/.test(document.getElementById('t-progress').textContent), null, { timeout: 3_600_000, polling: 1000 });
    const progress = await page.textContent('#t-progress');
    const tps = Number(/· (\d+) tokens\/s/.exec(progress)?.[1]);
    return { report, progress, tps, fresh, peak: Math.max(...rendererPeaks(rootPid)) };
  } finally {
    await browser.close();
    await browserServer.close();
  }
}

function cliRun() {
  const out = mkdtempSync(join(tmpdir(), 'tinytalk-bench-teach-'));
  try {
    const r = spawnSync(process.execPath, [join(root, 'bin/tinytalk.js'), 'train', '--model', model, '--data', data, '--out', out,
      '--steps', o.steps, '--threads', o.threads, '--json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()).train_tokens_per_second;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const served = await servedModel(await loadModel(model), { id: 'tinytalk', maxBatch: 1 });
const server = await startServer(served, { port: 0, webDir: join(root, 'dist', 'web'), maxPromptTokens: served.engine.context - 1 });
const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(`fine-tune on ${data}: ${o.steps} steps, batch ${TRAIN_DEFAULTS.batch} × ${TRAIN_DEFAULTS.seqLen} tokens, ${o.threads} thread(s), ${o.rounds} rounds`);
try {
  for (let round = 1; round <= Number(o.rounds); round++) {
    const b = await browserRun(server.url);
    if (round === 1) console.log(b.report);
    const cli = cliRun();
    console.log(`round ${round}: Chromium ${b.tps} tokens/s, tinytalk train ${cli.toFixed(0)} tokens/s (CLI/Chromium ${(cli / b.tps).toFixed(2)}); ` +
      `tab: peak renderer RSS ${mb(b.peak)} (${mb(b.fresh)} before the model was loaded)`);
  }
} finally {
  await server.close();
}

// The page: a Chat view and a Teach view over one model loaded into the browser (downloaded from
// the tinytalk server, fetched from URLs or picked from disk). Served by `tinytalk serve`, it can
// also chat through the server; as a static site (dist/web on any host) it runs in the browser only.
import { HF_FILES } from '../core/load/model.js';
import { initChat } from './chat.js';
import { $ } from './dom.js';
import { ModelClient } from './model-client.js';
import type { NamedFile } from './protocol.js';
import { initTeach } from './teach.js';

const status = $<HTMLElement>('status');
const modelStatus = $<HTMLElement>('model-status');
/** The files of the model loaded last: the tuned model's worker starts from them too. */
let baseFiles: NamedFile[] = [];
let tunedLoaded = false;

function runner(): 'server' | 'browser' {
  return (document.querySelector('input[name=runner]:checked') as HTMLInputElement).value as 'server' | 'browser';
}

function showRunner(): void {
  const browser = runner() === 'browser';
  $<HTMLElement>('server-settings').hidden = browser;
  $<HTMLInputElement>('device').disabled = !browser && $<HTMLSelectElement>('which').value === 'original';
  status.textContent = browser ? (original.ready ? 'The model runs in this browser.' : 'Load a model to run it in this browser.') : 'Replies come from the server.';
}

const original = new ModelClient((description, error) => {
  modelStatus.textContent = description ? `Loaded: ${description}` : `Could not load the model: ${error}`;
  if (description && runner() === 'browser') status.textContent = 'The model runs in this browser.';
});
const tuned = new ModelClient((description, error) => {
  const ok = description !== undefined;
  for (const value of ['tuned', 'both']) ($<HTMLSelectElement>('which').querySelector(`option[value=${value}]`) as HTMLOptionElement).disabled = !ok;
  $<HTMLElement>('tuned-status').textContent = ok ? `Tuned: ${description}` : `Could not load the tuned model: ${error}`;
});

const teach = initTeach({
  checkpoint(step, params) {
    if (!tunedLoaded) tuned.load(baseFiles);
    tunedLoaded = true;
    tuned.weights(params, `the checkpoint of step ${step}`);
  },
  tryTuned() {
    $<HTMLSelectElement>('which').value = 'tuned';
    showView('chat');
  },
});
initChat({ original, tuned, runner });

function loadFiles(files: NamedFile[]): void {
  const mb = files.reduce((n, f) => n + f.bytes.length, 0) / 1e6;
  modelStatus.textContent = `Loading ${files.map((f) => f.name).join(', ')} (${mb.toFixed(1)} MB)…`;
  baseFiles = files;
  tunedLoaded = false;
  $<HTMLElement>('tuned-status').textContent = '';
  $<HTMLSelectElement>('which').value = 'original';
  original.load(files);
  teach.load(files);
}

async function fetchFile(url: string, headers: Record<string, string> = {}, optional = false): Promise<NamedFile | undefined> {
  const response = await fetch(url, { headers });
  if (!response.ok) {
    if (optional && response.status === 404) return undefined;
    throw new Error(`${url}: the server answered ${response.status}`);
  }
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? url);
  return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function loading(what: () => Promise<NamedFile[]>): Promise<void> {
  try {
    modelStatus.textContent = 'Downloading the model…';
    loadFiles(await what());
  } catch (e) {
    modelStatus.textContent = `Download failed: ${(e as Error).message}`;
  }
}

function loadFromServer(): Promise<void> {
  const key = $<HTMLInputElement>('apiKey').value;
  const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
  return loading(async () => {
    const list = (await (await fetch('v1/model-files', { headers })).json()) as { files: { name: string; url: string }[] };
    return Promise.all(list.files.map(async (f) => (await fetchFile(f.url.slice(1), headers))!));
  });
}

/** Each line a file's URL, or a Hugging Face folder's URL (ending in /) whose checkpoint files are fetched. */
function loadFromUrls(text: string): Promise<void> {
  const lines = text.split(/\s+/).filter((l) => l !== '');
  return loading(async () => {
    const files = await Promise.all(lines.flatMap((url) => {
      if (!url.endsWith('/')) return [fetchFile(url)];
      const required = [HF_FILES.config, HF_FILES.safetensors, HF_FILES.tokenizerJson];
      return [...required.map((f) => fetchFile(url + f)), fetchFile(url + HF_FILES.generationConfig, {}, true)];
    }));
    return files.filter((f): f is NamedFile => f !== undefined);
  });
}

function showView(view: 'chat' | 'teach'): void {
  $<HTMLElement>('chat-view').hidden = view !== 'chat';
  $<HTMLElement>('teach-view').hidden = view !== 'teach';
  $<HTMLElement>('tab-chat').setAttribute('aria-selected', String(view === 'chat'));
  $<HTMLElement>('tab-teach').setAttribute('aria-selected', String(view === 'teach'));
  document.body.dataset.view = view;
}

/** Without the tinytalk server behind it (a static host), the page runs the model in the browser only. */
async function detectServer(): Promise<void> {
  // the server answers in JSON, also when it wants an API key (401); a static host has no such route
  const served = await fetch('v1/models').then((r) => (r.ok || r.status === 401) && (r.headers.get('content-type') ?? '').includes('json'), () => false);
  if (served) return;
  const server = document.querySelector('input[name=runner][value=server]') as HTMLInputElement;
  server.disabled = true;
  server.parentElement!.title = 'No tinytalk server here: the model runs in this browser';
  (document.querySelector('input[name=runner][value=browser]') as HTMLInputElement).checked = true;
  $<HTMLElement>('load-server').hidden = true;
  showRunner();
}

$<HTMLButtonElement>('tab-chat').addEventListener('click', () => showView('chat'));
$<HTMLButtonElement>('tab-teach').addEventListener('click', () => showView('teach'));
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=runner]')) radio.addEventListener('change', showRunner);
$<HTMLSelectElement>('which').addEventListener('change', showRunner);
$<HTMLButtonElement>('load-server').addEventListener('click', () => void loadFromServer());
$<HTMLFormElement>('url-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadFromUrls($<HTMLTextAreaElement>('model-urls').value);
});
$<HTMLInputElement>('files').addEventListener('change', async (event) => {
  const picked = [...((event.target as HTMLInputElement).files ?? [])];
  if (picked.length > 0) loadFiles(await Promise.all(picked.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
});
showView('chat');
void detectServer().then(() => {
  // index.html?model=<url>&model=<url>: load those at once (a link to a page with its model)
  const urls = new URLSearchParams(location.search).getAll('model');
  if (urls.length === 0) return;
  $<HTMLTextAreaElement>('model-urls').value = urls.join('\n');
  return loadFromUrls(urls.join('\n'));
});

// The chat page: a conversation that runs either on the tinytalk server or in this browser
// (a Web Worker running the same core code on weights downloaded from the server or picked from disk).
import { storyPromptText, type Exchange } from '../core/formats/dialogue.js';
import type { ChatMode } from '../core/chat/prompt.js';
import type { FromWorker, NamedFile, ReplyRequest, Settings, ToWorker } from './protocol.js';
import { serverReply, type ReplyStats } from './server-runner.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = $<HTMLElement>('log');
const input = $<HTMLInputElement>('input');
const send = $<HTMLButtonElement>('send');
const stop = $<HTMLButtonElement>('stop');
const status = $<HTMLElement>('status');
const modelStatus = $<HTMLElement>('model-status');

let history: Exchange[] = [];
let busy = false;
let stopReply: (() => void) | undefined;

function runner(): 'server' | 'browser' {
  return (document.querySelector('input[name=runner]:checked') as HTMLInputElement).value as 'server' | 'browser';
}

function settings(): Settings {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  const seed = $<HTMLInputElement>('seed').value.trim();
  return {
    temperature: num('temperature'),
    topP: num('topP'),
    topK: num('topK'),
    minP: num('minP'),
    maxTokens: num('maxTokens'),
    ...(seed === '' ? {} : { seed: Number(seed) }),
  };
}

function bubble(kind: 'user' | 'bot' | 'error', text: string): HTMLElement {
  const div = document.createElement('div');
  div.className = `msg ${kind}`;
  div.textContent = text;
  log.append(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

function setBusy(on: boolean): void {
  busy = on;
  send.disabled = on;
  stop.hidden = !on;
}

// ---- the in-browser model, in a Web Worker ----
let worker: Worker | undefined;
let workerReady = false;
let nextId = 1;
const pending = new Map<number, { onText(t: string): void; resolve(s: ReplyStats): void; reject(e: Error): void }>();

function getWorker(): Worker {
  if (worker) return worker;
  worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    if (m.type === 'loaded') {
      workerReady = true;
      modelStatus.textContent = `Loaded: ${m.description}`;
      status.textContent = 'The model runs in this browser.';
    } else if (m.type === 'text') pending.get(m.id)?.onText(m.text);
    else if (m.type === 'done') {
      pending.get(m.id)?.resolve({ tokens: m.tokens, ms: m.ms, reason: m.reason });
      pending.delete(m.id);
    } else if (m.type === 'error') {
      if (m.id !== undefined) {
        pending.get(m.id)?.reject(new Error(m.message));
        pending.delete(m.id);
      } else modelStatus.textContent = `Could not load the model: ${m.message}`;
    }
  };
  return worker;
}

function post(message: ToWorker, transfer: Transferable[] = []): void {
  getWorker().postMessage(message, transfer);
}

function loadFiles(files: NamedFile[]): void {
  workerReady = false;
  const mb = files.reduce((n, f) => n + f.bytes.length, 0) / 1e6;
  modelStatus.textContent = `Loading ${files.map((f) => f.name).join(', ')} (${mb.toFixed(1)} MB)…`;
  post({ type: 'load', files }, files.map((f) => f.bytes.buffer));
}

async function loadFromServer(): Promise<void> {
  const key = $<HTMLInputElement>('apiKey').value;
  const headers: Record<string, string> = key ? { Authorization: `Bearer ${key}` } : {};
  try {
    modelStatus.textContent = 'Downloading the model…';
    const list = (await (await fetch('v1/model-files', { headers })).json()) as { files: { name: string; url: string }[] };
    const files = await Promise.all(
      list.files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await (await fetch(f.url.slice(1), { headers })).arrayBuffer()) })),
    );
    loadFiles(files);
  } catch (e) {
    modelStatus.textContent = `Download failed: ${(e as Error).message}`;
  }
}

function browserReply(request: ReplyRequest, onText: (t: string) => void): { done: Promise<ReplyStats>; stop(): void } {
  const id = nextId++;
  const done = new Promise<ReplyStats>((resolve, reject) => pending.set(id, { onText, resolve, reject }));
  post({ type: 'reply', id, request });
  return { done, stop: () => post({ type: 'stop', id }) };
}

// ---- one turn ----
async function turn(text: string): Promise<void> {
  const mode = $<HTMLSelectElement>('mode').value as ChatMode;
  const request: ReplyRequest = { mode, history: mode === 'chat' ? history : [], text, settings: settings() };
  bubble('user', text);
  const reply = bubble('bot', '');
  reply.classList.add('pending');
  let got = '';
  const onText = (t: string) => {
    got += t;
    reply.textContent = got.replace(/^ /, ''); // replies start with the space after `Bot:`
    log.scrollTop = log.scrollHeight;
  };
  setBusy(true);
  try {
    let stats: ReplyStats;
    if (runner() === 'server') {
      const abort = new AbortController();
      stopReply = () => abort.abort();
      // chat mode sends the messages; story and raw modes the prompt text
      stats = await serverReply(request, mode === 'story' ? storyPromptText(text) : text, $<HTMLInputElement>('apiKey').value, abort.signal, { onText }).catch((e: Error) => {
        if (abort.signal.aborted) return { tokens: 0, ms: 0, reason: 'stopped' };
        throw e;
      });
    } else {
      if (!workerReady) throw new Error('load a model into the browser first (see the panel on the right)');
      const r = browserReply(request, onText);
      stopReply = r.stop;
      stats = await r.done;
    }
    if (mode === 'chat' && got !== '') history.push({ user: text, bot: got });
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${runner()} · ${stats.tokens} tokens · ${(stats.ms / 1000).toFixed(2)} s${stats.reason ? ` · ${stats.reason}` : ''}`;
    reply.append(meta);
    log.scrollTop = log.scrollHeight;
  } catch (e) {
    bubble('error', (e as Error).message);
  } finally {
    reply.classList.remove('pending');
    stopReply = undefined;
    setBusy(false);
  }
}

$<HTMLFormElement>('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value;
  if (busy || text.trim() === '') return;
  input.value = '';
  void turn(text);
});
stop.addEventListener('click', () => stopReply?.());
$<HTMLButtonElement>('clear').addEventListener('click', () => {
  history = [];
  const divider = document.createElement('div');
  divider.className = 'divider';
  divider.textContent = 'new conversation';
  log.append(divider);
});
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=runner]')) {
  radio.addEventListener('change', () => {
    const browser = runner() === 'browser';
    $<HTMLElement>('browser-settings').hidden = !browser;
    $<HTMLElement>('server-settings').hidden = browser;
    status.textContent = browser ? (workerReady ? 'The model runs in this browser.' : 'Load a model to run it in this browser.') : 'Replies come from the server.';
  });
}
$<HTMLButtonElement>('load-server').addEventListener('click', () => void loadFromServer());
$<HTMLInputElement>('files').addEventListener('change', async (event) => {
  const picked = [...((event.target as HTMLInputElement).files ?? [])];
  if (picked.length > 0) loadFiles(await Promise.all(picked.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
});

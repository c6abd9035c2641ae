// The chat view: a conversation with the original model (on the tinytalk server or in this
// browser), with the tuned one (in this browser), or with both side by side, each remembering its
// own replies; "like the device" runs the firmware emulation on the model's firmware blobs.
import { storyPromptText, type Exchange } from '../core/formats/dialogue.js';
import type { CrdpVersion } from '../core/formats/crdp.js';
import type { ChatMode } from '../core/chat/prompt.js';
import type { ModelClient } from './model-client.js';
import type { ReplyRequest, Settings } from './protocol.js';
import { serverReply, type ReplyStats } from './server-runner.js';
import { $ } from './dom.js';

/** Which model answers: the original (on the runner chosen) or the tuned one (always in the browser). */
type Side = 'original' | 'tuned';

const PLACEHOLDERS: Record<ChatMode, string> = {
  chat: 'Say hi to TinyTalk…',
  story: 'A one-line summary of a story…',
  raw: 'Text for TinyTalk to continue…',
};

export interface ChatModels {
  original: ModelClient;
  tuned: ModelClient;
  runner(): 'server' | 'browser';
}

export function initChat(models: ChatModels): void {
  const log = $<HTMLElement>('log');
  const input = $<HTMLInputElement>('input');
  const send = $<HTMLButtonElement>('send');
  const stop = $<HTMLButtonElement>('stop');
  const mode = $<HTMLSelectElement>('mode');
  const device = $<HTMLInputElement>('device');
  const histories: Record<Side, Exchange[]> = { original: [], tuned: [] };
  let busy = false;
  let stops: (() => void)[] = [];

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

  function bubble(kind: 'user' | 'bot' | 'error', text: string, parent: HTMLElement = log): HTMLElement {
    const div = document.createElement('div');
    div.className = `msg ${kind}`;
    div.textContent = text;
    parent.append(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function setBusy(on: boolean): void {
    busy = on;
    send.disabled = on;
    stop.hidden = !on;
  }

  /** One side's reply to `text`, streamed into a new bubble under `parent`. */
  async function answer(side: Side, text: string, parent: HTMLElement, labelled: boolean): Promise<void> {
    const m = mode.value as ChatMode;
    const onDevice = device.checked && (side === 'tuned' || models.runner() === 'browser');
    const version = Number($<HTMLSelectElement>('device-version').value) as CrdpVersion;
    const request: ReplyRequest = {
      mode: m, history: m === 'chat' ? histories[side] : [], text, settings: settings(),
      ...(onDevice ? { device: { version } } : {}),
    };
    const reply = bubble('bot', '', parent);
    reply.classList.add('pending');
    const body = document.createElement('span');
    reply.append(body);
    let got = '';
    const onText = (t: string) => {
      got += t;
      // the model writes a space (a story, sometimes a newline) before its first word
      body.textContent = got.replace(/^\s+/, '');
      log.scrollTop = log.scrollHeight;
    };
    const browser = side === 'tuned' || models.runner() === 'browser';
    const where = `${labelled ? `${side}, ` : ''}${onDevice ? `like the device (v${version})` : browser ? 'browser' : 'server'}`;
    try {
      let stats: ReplyStats;
      if (!browser) {
        const abort = new AbortController();
        stops.push(() => abort.abort());
        // chat mode sends the messages; story and raw modes the prompt text
        stats = await serverReply(request, m === 'story' ? storyPromptText(text) : text, $<HTMLInputElement>('apiKey').value, abort.signal, { onText });
      } else {
        const client = models[side];
        if (!client.ready) throw new Error(side === 'tuned' ? 'no tuned model yet: teach it first (the Teach view)' : 'load a model into the browser first (the panel "Model in the browser")');
        const r = client.reply(request, onText);
        stops.push(r.stop);
        stats = await r.done;
      }
      if (m === 'chat' && got !== '') histories[side].push({ user: text, bot: got });
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${where} · ${stats.tokens} tokens · ${(stats.ms / 1000).toFixed(2)} s${stats.reason ? ` · ${stats.reason}` : ''}`;
      reply.append(meta);
    } catch (e) {
      // an error before any text leaves no empty bubble behind
      if (got === '') reply.remove();
      bubble('error', `${labelled ? `${side}: ` : ''}${(e as Error).message}`, parent);
    } finally {
      reply.classList.remove('pending');
      log.scrollTop = log.scrollHeight;
    }
  }

  async function turn(text: string): Promise<void> {
    const which = $<HTMLSelectElement>('which').value as Side | 'both';
    bubble('user', text);
    setBusy(true);
    try {
      if (which === 'both') {
        const pair = document.createElement('div');
        pair.className = 'pair';
        log.append(pair);
        await Promise.all((['original', 'tuned'] as const).map((side) => answer(side, text, pair, true)));
      } else await answer(which, text, log, false);
    } finally {
      stops = [];
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
  stop.addEventListener('click', () => stops.forEach((s) => s()));
  $<HTMLButtonElement>('clear').addEventListener('click', () => {
    histories.original = [];
    histories.tuned = [];
    const divider = document.createElement('div');
    divider.className = 'divider';
    divider.textContent = 'new conversation';
    log.append(divider);
  });
  mode.addEventListener('change', () => (input.placeholder = PLACEHOLDERS[mode.value as ChatMode]));
  device.addEventListener('change', () => {
    $<HTMLElement>('device-note').hidden = !device.checked;
    // the device samples with temperature and seed only
    for (const id of ['topP', 'topK', 'minP', 'maxTokens']) $<HTMLInputElement>(id).disabled = device.checked;
  });
}

// The Teach view: pick dialogues, see what `tinytalk train` would report on them, fine-tune in the
// teacher worker with the CLI's defaults (live loss chart, tokens/s, time left, pause and stop),
// then hand each checkpoint to the tuned model's worker and offer the downloads.
import type { CrdpVersion } from '../core/formats/crdp.js';
import type { GgufType } from '../core/formats/gguf-gpt2.js';
import { TRAIN_DEFAULTS } from '../core/train/loop.js';
import { lossCurveSvg, type CurvePoint } from '../core/train/plot.js';
import { $ } from './dom.js';
import type { DataChoice, DataFile, ExportRequest, FromTeacher, NamedFile, TeachSettings, ToTeacher } from './protocol.js';
import { threadsAllowed } from './train-threads.js';

export interface TeachHooks {
  /** A checkpoint's parameters: the tuned model to chat with. */
  checkpoint(step: number, params: Float32Array): void;
  /** "Chat with the tuned model". */
  tryTuned(): void;
}

/** Seconds as "42 s", "3 min" or "1 h 05 min". */
function duration(s: number): string {
  if (!Number.isFinite(s)) return '…';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function initTeach(hooks: TeachHooks): { load(files: NamedFile[]): void } {
  const teacher = new Worker('teach-worker.js', { type: 'module' });
  const post = (m: ToTeacher) => teacher.postMessage(m);
  const field = (name: string) => $<HTMLInputElement>(`t-${name}`);
  const numbers = ['epochs', 'lr', 'batch', 'accum', 'seqLen', 'seed', 'weightDecay', 'clip', 'valEvery', 'saveEvery', 'valBlocks'] as const;
  for (const name of numbers) field(name).value = String(TRAIN_DEFAULTS[name]);
  $<HTMLInputElement>('val-fraction').value = String(TRAIN_DEFAULTS.valFraction);
  const cores = navigator.hardwareConcurrency || 1;
  field('threads').value = String(threadsAllowed(cores));
  if (threadsAllowed(2) === 1) {
    field('threads').disabled = true;
    $<HTMLElement>('threads-note').textContent =
      'One worker: this page is not cross-origin isolated, so it cannot share memory between threads (serve it with the COOP and COEP headers for more).';
  }

  let modelReady = false;
  let data: DataFile | undefined;
  let valData: DataFile | undefined;
  let running = false;
  let paused = false;
  const train: CurvePoint[] = [];
  const val: CurvePoint[] = [];
  let nextExport = 1;

  function settings(): TeachSettings {
    const num = (name: string) => Number(field(name).value);
    const optional = (name: string) => (field(name).value.trim() === '' ? undefined : num(name));
    const s = Object.fromEntries(numbers.map((n) => [n, num(n)])) as Record<(typeof numbers)[number], number>;
    return { ...s, steps: optional('steps'), warmup: optional('warmup'), threads: num('threads'), valFraction: Number($<HTMLInputElement>('val-fraction').value) };
  }

  function choice(): DataChoice | undefined {
    if (!data) return undefined;
    const speaker = $<HTMLSelectElement>('bot-speaker').value;
    return { data, valData, ...(speaker ? { botSpeaker: speaker } : {}) };
  }

  /** The dataset report for the data and settings as they are now. */
  function refresh(): void {
    const c = choice();
    if (!c) return;
    if (!modelReady) {
      $<HTMLElement>('data-report').textContent = `${c.data.name}: load a model to read it with its tokenizer.`;
      return;
    }
    $<HTMLElement>('data-report').textContent = `Reading ${c.data.name}…`;
    post({ type: 'data', choice: c, settings: settings() });
  }

  function draw(): void {
    $<HTMLElement>('chart').innerHTML = lossCurveSvg(train, val, data ? `fine-tuning on ${data.name}` : 'fine-tuning');
  }

  function setRunning(on: boolean): void {
    running = on;
    paused = false;
    $<HTMLButtonElement>('t-start').disabled = on;
    $<HTMLButtonElement>('t-pause').disabled = !on;
    $<HTMLButtonElement>('t-pause').textContent = 'Pause';
    $<HTMLButtonElement>('t-stop').disabled = !on;
  }

  function offer(files: NamedFile[], note: string): void {
    const list = $<HTMLElement>('downloads');
    for (const f of files) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([f.bytes as BlobPart], { type: 'application/octet-stream' }));
      a.download = f.name;
      a.textContent = `${f.name} (${f.bytes.length.toLocaleString('en-US')} bytes)`;
      li.append(a);
      list.append(li);
    }
    $<HTMLElement>('dl-status').textContent = note;
  }

  teacher.onmessage = (event: MessageEvent<FromTeacher>) => {
    const m = event.data;
    switch (m.type) {
      case 'loaded':
        modelReady = true;
        refresh();
        break;
      case 'data': {
        $<HTMLElement>('speaker-row').hidden = m.speakers.length === 0;
        const select = $<HTMLSelectElement>('bot-speaker');
        select.replaceChildren(...m.speakers.map((s) => new Option(`${s.name} (${s.conversations} conversations)`, s.name, false, s.name === m.botSpeaker)));
        $<HTMLElement>('data-report').textContent = m.report.join('\n');
        break;
      }
      case 'start':
        $<HTMLElement>('t-progress').textContent = `Training ${m.totalSteps} steps on ${m.threads} thread${m.threads > 1 ? 's' : ''}…`;
        break;
      case 'step': {
        const x = m.metrics;
        train.push({ step: x.step, loss: x.loss });
        draw();
        $<HTMLElement>('t-progress').textContent =
          `step ${x.step} of ${m.totalSteps} · loss ${x.loss.toFixed(3)} · ${x.tokensPerSecond.toFixed(0)} tokens/s · ${duration(x.secondsLeft)} left`;
        break;
      }
      case 'paused':
        $<HTMLElement>('t-progress').textContent = `Paused at step ${m.step} of ${m.totalSteps}.`;
        break;
      case 'validation':
        val.push({ step: m.step, loss: m.loss });
        draw();
        $<HTMLElement>('t-eval').textContent = `validation loss: ${val[0]!.loss.toFixed(4)} before${m.step > 0 ? `, ${m.loss.toFixed(4)} at step ${m.step}` : ''}`;
        break;
      case 'checkpoint':
        hooks.checkpoint(m.step, m.params);
        $<HTMLButtonElement>('t-try').disabled = false;
        for (const id of ['dl-firmware', 'dl-gguf', 'dl-hf']) $<HTMLButtonElement>(id).disabled = false;
        break;
      case 'done':
        setRunning(false);
        $<HTMLElement>('t-progress').textContent =
          `${m.stopped ? 'Stopped' : 'Done'} after ${m.steps} steps · ${m.tokensPerSecond.toFixed(0)} tokens/s`;
        $<HTMLElement>('t-eval').textContent = `validation loss: ${m.valLossBefore.toFixed(4)} before, ${m.valLossAfter.toFixed(4)} after ${m.steps} steps`;
        break;
      case 'files':
        offer(m.files, m.note);
        break;
      case 'error':
        if (m.id !== undefined) $<HTMLElement>('dl-status').textContent = `Could not write it: ${m.message}`;
        else if (running) {
          setRunning(false);
          $<HTMLElement>('t-progress').textContent = m.message;
        } else $<HTMLElement>('data-report').textContent = m.message;
        break;
    }
  };

  const readPicked = async (input: HTMLInputElement): Promise<DataFile | undefined> => {
    const f = input.files?.[0];
    return f ? { name: f.name, text: await f.text() } : undefined;
  };
  $<HTMLInputElement>('data-file').addEventListener('change', async (e) => {
    data = await readPicked(e.target as HTMLInputElement);
    $<HTMLSelectElement>('bot-speaker').replaceChildren();
    refresh();
  });
  const drop = $<HTMLElement>('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (!f) return;
    data = { name: f.name, text: await f.text() };
    $<HTMLSelectElement>('bot-speaker').replaceChildren();
    refresh();
  });
  $<HTMLInputElement>('val-file').addEventListener('change', async (e) => {
    valData = await readPicked(e.target as HTMLInputElement);
    refresh();
  });
  for (const id of ['bot-speaker', 'val-fraction', 't-seqLen']) $<HTMLElement>(id).addEventListener('change', refresh);

  $<HTMLButtonElement>('t-start').addEventListener('click', () => {
    const c = choice();
    if (!c || !modelReady) {
      $<HTMLElement>('t-progress').textContent = modelReady ? 'Pick your dialogues first (1).' : 'Load a model first (the panel "Model in the browser").';
      return;
    }
    train.length = 0;
    val.length = 0;
    draw();
    setRunning(true);
    $<HTMLElement>('t-progress').textContent = 'Measuring the validation loss before training…';
    $<HTMLElement>('t-eval').textContent = '';
    post({ type: 'start', choice: c, settings: settings() });
  });
  $<HTMLButtonElement>('t-pause').addEventListener('click', () => {
    paused = !paused;
    post({ type: paused ? 'pause' : 'resume' });
    $<HTMLButtonElement>('t-pause').textContent = paused ? 'Resume' : 'Pause';
    if (paused) $<HTMLElement>('t-progress').textContent += ' · pausing after this step…';
  });
  $<HTMLButtonElement>('t-stop').addEventListener('click', () => {
    post({ type: 'stop' });
    $<HTMLElement>('t-progress').textContent = 'Stopping after this step…';
  });
  $<HTMLButtonElement>('t-try').addEventListener('click', hooks.tryTuned);

  const download = (request: ExportRequest) => {
    $<HTMLElement>('dl-status').textContent = 'Writing…';
    post({ type: 'export', id: nextExport++, request });
  };
  $<HTMLButtonElement>('dl-firmware').addEventListener('click', () => {
    const budget = $<HTMLInputElement>('fw-budget').value.trim();
    download({
      kind: 'firmware',
      version: Number($<HTMLSelectElement>('fw-version').value) as CrdpVersion,
      ...(budget === '' ? {} : { maxBytes: Number(budget) }),
      cSources: $<HTMLInputElement>('fw-csource').checked,
    });
  });
  $<HTMLButtonElement>('dl-gguf').addEventListener('click', () => download({ kind: 'gguf', type: $<HTMLSelectElement>('gguf-type').value as GgufType }));
  $<HTMLButtonElement>('dl-hf').addEventListener('click', () => download({ kind: 'hf' }));
  draw();

  return {
    load(files) {
      modelReady = false;
      post({ type: 'load', files });
    },
  };
}

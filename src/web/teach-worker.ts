// The Web Worker that teaches the model in the browser with the core of `tinytalk train`: the data
// read and reported (core/train/data.ts, dataset.ts), the training loop (core/train/loop.ts) on a
// thread pool of Web Workers (train-threads.ts), checkpoints handed to the page, and the
// downloads written by the core exporters.
import { UsageError } from '../core/errors.js';
import { checkFlashBudget, FIRMWARE_NAMES, firmwareFiles } from '../core/export/firmware.js';
import { hfCheckpointFiles } from '../core/export/hf.js';
import { writeGpt2Gguf } from '../core/formats/gguf-gpt2.js';
import { writeZip } from '../core/formats/zip.js';
import type { Model } from '../core/neo/model.js';
import { csvSpeakers, describeReport, detectFormat, parseData, type CsvSpeaker } from '../core/train/data.js';
import { prepareDataset, type NamedData, type PreparedData } from '../core/train/dataset.js';
import { newTrainingState, runSteps } from '../core/train/loop.js';
import { adamwState } from '../core/train/optim.js';
import { paramLayout, paramsFromWeights, weightsFromParams } from '../core/train/params.js';
import { modelFromNamedFiles } from './model-files.js';
import type { DataChoice, DataFile, ExportRequest, FromTeacher, NamedFile, TeachSettings, ToTeacher } from './protocol.js';
import { trainPool } from './train-threads.js';

/** The bot speaker `tinytalk train` assumes for a CSV (its --bot-speaker default). */
const CLI_BOT_SPEAKER = 'User 2';

let base: Model | undefined;
/** The parameters of the latest checkpoint: what the downloads hold. */
let tuned: { step: number; params: Float32Array } | undefined;
/** The run in progress: pausing holds it between two steps; stopping ends it after the current one. */
let run: { paused: boolean; stop: boolean; resume?: () => void } | undefined;

function send(message: FromTeacher, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

function model(): Model {
  if (!base) throw new UsageError('load a model first (the panel "Model in the browser")');
  return base;
}

/** The CSV's speakers and the one that is the bot: the user's choice, else the CLI's default, else the second found. */
function speakersOf(file: DataFile, wanted: string | undefined): { speakers: CsvSpeaker[]; botSpeaker?: string } {
  if (detectFormat(file.name) !== 'csv') return { speakers: [] };
  const speakers = csvSpeakers(file.text, file.name);
  const names = speakers.map((s) => s.name);
  const botSpeaker = wanted && names.includes(wanted) ? wanted : names.includes(CLI_BOT_SPEAKER) ? CLI_BOT_SPEAKER : names[1] ?? names[0];
  return { speakers, botSpeaker };
}

function prepare(choice: DataChoice, s: TeachSettings): { data: PreparedData; speakers: CsvSpeaker[]; botSpeaker?: string } {
  const m = model();
  if (s.seqLen > m.config.maxPositions) throw new UsageError(`sequence length ${s.seqLen} exceeds the model's ${m.config.maxPositions} positions`);
  const { speakers, botSpeaker } = speakersOf(choice.data, choice.botSpeaker);
  const read = (f: DataFile): NamedData => ({ name: f.name, parsed: parseData(f.text, f.name, { botSpeaker }) });
  const data = prepareDataset(m.tokenizer, read(choice.data), choice.valData && read(choice.valData), s);
  return { data, speakers, botSpeaker };
}

function report(choice: DataChoice, s: TeachSettings): PreparedData {
  const { data, speakers, botSpeaker } = prepare(choice, s);
  send({ type: 'data', speakers, botSpeaker, report: [describeReport('train', data.trainReport), describeReport('validation', data.valReport)] });
  return data;
}

/** Lets messages in (pause, stop, downloads) between two steps, and holds while paused. */
async function between(step: number, totalSteps: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (run?.paused && !run.stop) send({ type: 'paused', step, totalSteps });
  while (run?.paused && !run.stop) await new Promise<void>((resolve) => (run!.resume = resolve));
}

async function teach(choice: DataChoice, s: TeachSettings): Promise<void> {
  const m = model();
  const data = report(choice, s);
  const layout = paramLayout(m.config);
  const pool = await trainPool(layout, paramsFromWeights(layout, m.weights), s.threads, s.batch, s.seqLen);
  const control = { paused: false, stop: false };
  run = control;
  try {
    const state = newTrainingState(s, data.train, pool.threadCount);
    const valLossAfter = await runSteps(
      {
        pool, train: data.train, val: data.val, state, adam: adamwState(layout.total),
        valEvery: s.valEvery, saveEvery: s.saveEvery, valBlocks: s.valBlocks, stopped: () => control.stop,
      },
      {
        start: (st) => send({ type: 'start', totalSteps: st.totalSteps, threads: st.threads }),
        step: async (metrics, st) => {
          send({ type: 'step', metrics, totalSteps: st.totalSteps });
          await between(st.step, st.totalSteps);
        },
        validation: (step, loss) => send({ type: 'validation', step, loss }),
        checkpoint: (st) => {
          tuned = { step: st.step, params: Float32Array.from(pool.params) };
          const copy = Float32Array.from(pool.params);
          send({ type: 'checkpoint', step: st.step, params: copy }, [copy.buffer]);
        },
      },
    );
    send({
      type: 'done', steps: state.step, valLossBefore: state.valLossBefore, valLossAfter,
      tokensPerSecond: state.trainSeconds > 0 ? state.trainTokens / state.trainSeconds : 0, stopped: control.stop,
    });
  } finally {
    run = undefined;
    await pool.close();
  }
}

/** The download's files, written by the same exporters as `tinytalk convert` and `train --export-*`. */
function exportFiles(request: ExportRequest): { files: NamedFile[]; note: string } {
  const m = model();
  if (!tuned) throw new UsageError('nothing to download yet: the tuned model appears at the first checkpoint');
  const tunedModel = { ...m, weights: weightsFromParams(paramLayout(m.config), tuned.params) };
  const at = `the checkpoint of step ${tuned.step}`;
  if (request.kind === 'firmware') {
    const { version, maxBytes, cSources } = request;
    const verdict = maxBytes === undefined ? '' : `; ${checkFlashBudget(tunedModel, version, maxBytes)}`;
    const { files, modelBytes, tokenizerBytes } = firmwareFiles(tunedModel, version, cSources);
    const utf8 = new TextEncoder();
    return {
      files: [...files].map(([name, data]) => ({ name, bytes: typeof data === 'string' ? utf8.encode(data) : data })),
      note: `firmware v${version} (${FIRMWARE_NAMES[version].model} ${modelBytes.toLocaleString('en-US')} + ${FIRMWARE_NAMES[version].tokenizer} ${tokenizerBytes.toLocaleString('en-US')} bytes) from ${at}${verdict}`,
    };
  }
  if (request.kind === 'gguf') {
    const bytes = writeGpt2Gguf({ config: m.config, weights: tunedModel.weights, vocab: m.tokenizer.vocab(), name: 'tinytalk-finetune' }, request.type);
    return { files: [{ name: `tinytalk-tuned-${request.type}.gguf`, bytes }], note: `GGUF (${request.type.toUpperCase()}) from ${at}` };
  }
  const folder = 'tinytalk-tuned';
  const files = hfCheckpointFiles(tunedModel);
  const zip = writeZip(new Map([...files].map(([name, bytes]) => [`${folder}/${name}`, bytes])));
  return { files: [{ name: `${folder}.zip`, bytes: zip }], note: `Hugging Face folder ${folder}/ (${[...files.keys()].join(', ')}) from ${at}` };
}

self.onmessage = (event: MessageEvent<ToTeacher>) => {
  const m = event.data;
  const fail = (e: unknown, id?: number) => send({ type: 'error', id, message: (e as Error).message });
  try {
    switch (m.type) {
      case 'load':
        base = modelFromNamedFiles(m.files);
        tuned = undefined;
        send({ type: 'loaded', description: base.source.path });
        break;
      case 'data':
        report(m.choice, m.settings);
        break;
      case 'start':
        if (run) throw new UsageError('a run is in progress: stop it first');
        teach(m.choice, m.settings).catch((e) => fail(e));
        break;
      case 'pause':
        if (run) run.paused = true;
        break;
      case 'resume':
      case 'stop':
        if (run) {
          run.paused = false;
          if (m.type === 'stop') run.stop = true;
          run.resume?.();
        }
        break;
      case 'export': {
        const { files, note } = exportFiles(m.request);
        send({ type: 'files', id: m.id, files, note }, files.map((f) => f.bytes.buffer));
        break;
      }
    }
  } catch (e) {
    fail(e, m.type === 'export' ? m.id : undefined);
  }
};

// Messages between the page and its Web Workers: the model worker (runs a model: the original, or
// the tuned one from the teacher's checkpoints) and the teacher (fine-tunes and exports).
import type { ChatMode } from '../core/chat/prompt.js';
import type { CrdpVersion } from '../core/formats/crdp.js';
import type { GgufType } from '../core/formats/gguf-gpt2.js';
import type { Exchange } from '../core/formats/dialogue.js';
import type { CsvSpeaker } from '../core/train/data.js';
import type { RunSettings, StepMetrics } from '../core/train/loop.js';

export interface Settings {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  maxTokens: number;
  /** Empty: a fresh random seed for every reply. */
  seed?: number;
}

export interface ReplyRequest {
  mode: ChatMode;
  /** Earlier exchanges (chat mode only). */
  history: Exchange[];
  text: string;
  settings: Settings;
  /** Like the device: the model as firmware blobs of this version, run by the firmware emulation. */
  device?: { version: CrdpVersion };
}

export interface NamedFile {
  name: string;
  bytes: Uint8Array;
}

export type ToWorker =
  | { type: 'load'; files: NamedFile[] }
  /** The loaded model's weights replaced by these parameters (a training checkpoint, flat layout). */
  | { type: 'weights'; params: Float32Array; label: string }
  | { type: 'reply'; id: number; request: ReplyRequest }
  | { type: 'stop'; id: number };

export type FromWorker =
  | { type: 'loaded'; description: string }
  | { type: 'text'; id: number; text: string }
  | { type: 'done'; id: number; tokens: number; ms: number; reason: string }
  | { type: 'error'; id?: number; message: string };

/** A data file as the user picked it. */
export interface DataFile {
  name: string;
  text: string;
}

/** The page's training settings: `tinytalk train`'s options that the Teach view offers. */
export interface TeachSettings extends RunSettings {
  threads: number;
  valEvery: number;
  saveEvery: number;
  valBlocks: number;
  valFraction: number;
}

export interface DataChoice {
  data: DataFile;
  valData?: DataFile;
  /** CSV: the bot's speaker (default: the CLI's, else the second speaker found). */
  botSpeaker?: string;
}

export type ExportRequest =
  | { kind: 'firmware'; version: CrdpVersion; maxBytes?: number; cSources: boolean }
  | { kind: 'gguf'; type: GgufType }
  | { kind: 'hf' };

export type ToTeacher =
  | { type: 'load'; files: NamedFile[] }
  /** Reads the data and reports on it as the run would see it with these settings. */
  | { type: 'data'; choice: DataChoice; settings: TeachSettings }
  | { type: 'start'; choice: DataChoice; settings: TeachSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'export'; id: number; request: ExportRequest };

export type FromTeacher =
  | { type: 'loaded'; description: string }
  /** The data as read: the CSV speakers (if any), the bot chosen, and the dataset report's lines. */
  | { type: 'data'; speakers: CsvSpeaker[]; botSpeaker?: string; report: string[] }
  | { type: 'start'; totalSteps: number; threads: number }
  | { type: 'step'; metrics: StepMetrics; totalSteps: number }
  /** Pausing took hold after this step. */
  | { type: 'paused'; step: number; totalSteps: number }
  | { type: 'validation'; step: number; loss: number }
  /** The parameters at a checkpoint (flat layout): the tuned model to chat with and download. */
  | { type: 'checkpoint'; step: number; params: Float32Array }
  | { type: 'done'; steps: number; valLossBefore: number; valLossAfter: number; tokensPerSecond: number; stopped: boolean }
  | { type: 'files'; id: number; files: NamedFile[]; note: string }
  | { type: 'error'; id?: number; message: string };

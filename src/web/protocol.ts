// Messages between the chat page and its Web Worker (which runs the model in the browser).
import type { ChatMode } from '../core/chat/prompt.js';
import type { Exchange } from '../core/formats/dialogue.js';

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
}

export interface NamedFile {
  name: string;
  bytes: Uint8Array;
}

export type ToWorker =
  | { type: 'load'; files: NamedFile[] }
  | { type: 'reply'; id: number; request: ReplyRequest }
  | { type: 'stop'; id: number };

export type FromWorker =
  | { type: 'loaded'; description: string }
  | { type: 'text'; id: number; text: string }
  | { type: 'done'; id: number; tokens: number; ms: number; reason: string }
  | { type: 'error'; id?: number; message: string };

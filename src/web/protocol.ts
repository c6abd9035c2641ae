// Messages between the chat page and its Web Worker (which runs the model in the browser).

export type Mode = 'chat' | 'story' | 'raw';

export interface Settings {
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  maxTokens: number;
  /** Empty: a fresh random seed for every reply. */
  seed?: number;
}

export interface Turn {
  user: string;
  bot: string;
}

export interface ReplyRequest {
  mode: Mode;
  /** Earlier exchanges (chat mode only). */
  history: Turn[];
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

// The server's settings and their defaults, which `tinytalk serve` offers as its options (kept
// apart from the server so that the CLI reads them without loading the HTTP stack).

export interface ServerOptions {
  host: string;
  port: number;
  /** When set, /v1/* needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Folder of the built chat page (dist/web); undefined: no page. */
  webDir?: string;
  maxBodyBytes: number;
  maxPromptTokens: number;
  /** Largest max_tokens a request may ask for. */
  maxTokensLimit: number;
  /** Sequences decoded together in one forward pass. */
  maxBatch: number;
  /** Requests that may wait for a free sequence slot before new ones get 429. */
  maxQueue: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  maxBodyBytes: 1 << 20,
  maxPromptTokens: 4096,
  maxTokensLimit: 1024,
  maxBatch: 32,
  maxQueue: 256,
};

// The OpenAI-compatible HTTP server: routes, API key, CORS, limits; generation is batched by the Scheduler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleCompletion } from './completions.js';
import { ApiError } from './errors.js';
import { readJson, sendError, sendJson, setCors, setIsolation } from './http.js';
import { parseChatRequest, parseCompletionRequest } from './request.js';
import { Scheduler } from './scheduler.js';
import type { ServedModel } from './served-model.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './options.js';
import { pagePath, sendFile } from './static.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  server: Server;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export async function startServer(model: ServedModel, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const opts: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...options };
  const scheduler = new Scheduler(model.engine, {
    maxBatch: opts.maxBatch,
    maxQueue: opts.maxQueue,
    // About one short prompt's worth between two decode steps keeps streams flowing while others join.
    prefillTokensPerStep: 256,
  });
  const started = Date.now();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCors(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/health' && method === 'GET') {
      sendJson(res, 200, { status: 'ok', model: model.id, active: scheduler.activeCount, waiting: scheduler.waitingCount, uptime_s: (Date.now() - started) / 1000 });
      return;
    }
    if (path.startsWith('/v1/')) {
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        throw new ApiError(401, 'Incorrect or missing API key: send `Authorization: Bearer <key>`', 'authentication_error', null, 'invalid_api_key');
      }
      return apiRoute(req, res, method, path);
    }
    if ((method === 'GET' || method === 'HEAD') && opts.webDir !== undefined) {
      setIsolation(res);
      return sendFile(res, pagePath(opts.webDir, path), method === 'HEAD');
    }
    throw new ApiError(404, `Unknown route: ${method} ${path}`, 'not_found_error', null, 'not_found');
  }

  async function apiRoute(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    const post = (handler: () => Promise<void>) => {
      if (method !== 'POST') throw new ApiError(405, `Use POST for ${path}`, 'invalid_request_error', null, 'method_not_allowed');
      return handler();
    };
    const modelInfo = { id: model.id, object: 'model', created: Math.floor(started / 1000), owned_by: 'tinytalk' };
    if (path === '/v1/chat/completions') {
      return post(async () => handleCompletion(res, parseChatRequest(await readJson(req, opts.maxBodyBytes), opts.maxTokensLimit), model, scheduler, opts));
    }
    if (path === '/v1/completions') {
      return post(async () => handleCompletion(res, parseCompletionRequest(await readJson(req, opts.maxBodyBytes), opts.maxTokensLimit), model, scheduler, opts));
    }
    if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, `Use GET for ${path}`, 'invalid_request_error', null, 'method_not_allowed');
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: [modelInfo] });
    if (path === `/v1/models/${model.id}` || path === `/v1/models/${encodeURIComponent(model.id)}`) return sendJson(res, 200, modelInfo);
    if (path === '/v1/model-files') {
      return sendJson(res, 200, { model: model.id, files: model.files.map((f) => ({ name: f.name, size: f.size, url: `/v1/model-files/${encodeURIComponent(f.name)}` })) });
    }
    const file = path.startsWith('/v1/model-files/') && model.files.find((f) => f.name === decodeURIComponent(path.slice('/v1/model-files/'.length)));
    if (file) return sendFile(res, file.path, method === 'HEAD');
    throw new ApiError(404, `Unknown route or model: ${method} ${path}`, 'not_found_error', null, 'not_found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const error = e instanceof ApiError ? e : new ApiError(500, `Internal error: ${(e as Error)?.message ?? String(e)}`, 'server_error', null, 'internal_error');
      if (error.status === 413) {
        // The rest of a too-large body is not read: close the connection after the reply.
        res.setHeader('Connection', 'close');
        req.resume();
      }
      sendError(res, error);
    });
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    scheduler,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Files the server hands out as they are: the chat page (dist/web) and the model's own files,
// which the page downloads to run the model in the browser.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { ApiError } from './errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

export async function sendFile(res: ServerResponse, path: string, head = false): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new ApiError(404, `No such file: ${path}`, 'not_found_error', null, 'not_found');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
  });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('error', reject).on('end', resolve).pipe(res);
  });
}

/** The page file for a URL path under webDir ('/' is index.html); never a path outside webDir. */
export function pagePath(webDir: string, urlPath: string): string {
  const rel = normalize(decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath));
  const full = join(webDir, rel);
  if (!full.startsWith(webDir.endsWith(sep) ? webDir : webDir + sep)) {
    throw new ApiError(404, `No such page: ${urlPath}`, 'not_found_error', null, 'not_found');
  }
  return full;
}

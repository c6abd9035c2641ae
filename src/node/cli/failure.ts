// What the user sees when a command fails. A mistake (a bad flag value, a missing file, a busy
// port: tinytalk's own errors and the operating system's) is one line naming the problem and the
// fix; anything else is a bug in tinytalk, shown with its stack and a request to report it.
import { TinyTalkError } from '../../core/errors.js';

/** The one prefix of every error line. */
export const ERROR_PREFIX = 'tinytalk: ';

interface SystemError extends Error {
  code?: string;
  path?: string;
  dest?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** One line for the operating system's errors a user causes and can fix; undefined for others. */
function systemMessage(err: SystemError): string | undefined {
  const path = err.path ?? err.dest;
  const where = err.address === undefined ? '' : `${err.address}${err.port === undefined ? '' : `:${err.port}`}`;
  switch (err.code) {
    case 'ENOENT':
      return path === undefined ? undefined : `${path}: no such file or directory`;
    case 'ENOTDIR':
      return path === undefined ? undefined : `${path}: a part of this path is a file, not a directory`;
    case 'EISDIR':
      return path === undefined ? undefined : `${path} is a directory; give a file`;
    case 'EEXIST':
      return path === undefined ? undefined : `${path} already exists`;
    case 'EACCES':
    case 'EPERM':
      if (err.syscall === 'listen' || err.syscall === 'bind') {
        return `no permission to listen on ${where}: ports below 1024 need administrator rights; choose another --port`;
      }
      return path === undefined ? undefined : `${path}: permission denied`;
    case 'ENOSPC':
      return `no space left on the device${path === undefined ? '' : ` (writing ${path})`}`;
    case 'EROFS':
      return `${path ?? 'the target'} is on a read-only file system`;
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files; raise the limit (ulimit -n) or open fewer at once';
    case 'EADDRINUSE':
      return `${where} is already in use (another server is listening there): choose another --port, or --port 0 for a free one`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${err.address ?? 'that address'}: it is not an address of this machine; use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${err.hostname ?? 'that host'}: unknown host name; give an IP address or a name this machine resolves`;
    default:
      return undefined;
  }
}

/** The line for a user's mistake, or undefined when the error is a bug. */
export function userMessage(err: unknown): string | undefined {
  if (err instanceof TinyTalkError) return err.message;
  if (err instanceof Error) return systemMessage(err as SystemError);
  return undefined;
}

/** The text written to stderr for `err`, and the exit status (1 for mistakes, 70 for bugs). */
export function failure(err: unknown): { text: string; status: number } {
  const line = userMessage(err);
  if (line !== undefined) return { text: `${ERROR_PREFIX}${line}\n`, status: 1 };
  const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  return {
    text: `${ERROR_PREFIX}internal error, a bug in tinytalk:\n${detail}\n` +
      'Please report it with the command you ran and this output.\n',
    status: 70, // EX_SOFTWARE
  };
}

// What a user sees when something goes wrong, through the built command: a mistake (a bad flag
// value, a missing file, a busy or foreign address) is one line with the `tinytalk:` prefix and
// what to do, never a stack trace nor the whole help; a bug is shown with its stack and a request
// to report it. Also --version.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failure } from '../../src/node/cli/failure.js';
import { FormatError } from '../../src/core/errors.js';
import { BIN, tinytalk } from '../helpers/cli.js';
import { ROOT, V2_MODEL } from '../helpers/shared.js';

/** stderr as lines, after checking the run failed with status 1 and printed no stack frame. */
function mistake(args: string[]): string[] {
  const r = tinytalk(args);
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Usage:/);
  return r.stderr.trimEnd().split('\n');
}

describe('tinytalk --version', () => {
  it("prints package.json's version", () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const r = tinytalk([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe('bad flag values', () => {
  it.each([
    [['generate', '--prompt', 'hi', '--temperature', '-1'], 'generate', "option '--temperature <t>' argument '-1' is invalid. expected a number >= 0"],
    [['generate', '--prompt', 'hi', '--max-tokens', 'abc'], 'generate', "option '--max-tokens <n>' argument 'abc' is invalid. expected an integer >= 0"],
    [['generate', '--prompt', 'hi', '--seed', '1.5'], 'generate', "option '--seed <s>' argument '1.5' is invalid. expected an integer >= 0"],
    [['chat', '--mode', 'poem'], 'chat', "option '--mode <mode>' argument 'poem' is invalid. Allowed choices are chat, story, raw."],
    [['serve', '--port', '99999'], 'serve', "option '--port <port>' argument '99999' is invalid. expected an integer from 0 to 65535"],
    [['generate'], 'generate', "required option '--prompt <text>' not specified"],
    [['chat', '--temprature', '0'], 'chat', "unknown option '--temprature'\n(Did you mean --temperature?)"],
  ])('%j: the error, then where the options are listed', (args, command, error) => {
    expect(mistake(args)).toEqual([...`tinytalk: ${error}`.split('\n'), `(tinytalk ${command} --help lists its options)`]);
  });

  it('an unknown command points at the list of commands', () => {
    expect(mistake(['chatt'])).toEqual(["tinytalk: unknown command 'chatt'", '(Did you mean chat?)', '(tinytalk --help lists the commands)']);
  });
});

describe("the operating system's errors a user causes", () => {
  it('a missing data file', () => {
    expect(mistake(['eval', '--model', V2_MODEL(), '--data', 'missing.txt'])).toEqual(['tinytalk: missing.txt: no such file or directory']);
  });

  it('serve on a busy port, on an address of another machine, on an unknown host name', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      // spawned, not spawnSync: this process must keep serving `busy` while serve tries its port
      const serve = (...args: string[]) =>
        new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [BIN, 'serve', '--model', V2_MODEL(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('exit', (status) => resolve({ status, stderr }));
        });
      const inUse = await serve('--port', String(port));
      expect(inUse).toEqual({
        status: 1,
        stderr: `tinytalk: 127.0.0.1:${port} is already in use (another server is listening there): choose another --port, or --port 0 for a free one\n`,
      });
      // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
      expect(await serve('--host', '192.0.2.1', '--port', '0')).toEqual({
        status: 1,
        stderr: 'tinytalk: cannot listen on 192.0.2.1: it is not an address of this machine; use --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)\n',
      });
      // .invalid never resolves (RFC 2606)
      expect(await serve('--host', 'no-such-host.invalid', '--port', '0')).toEqual({
        status: 1,
        stderr: 'tinytalk: no-such-host.invalid: unknown host name; give an IP address or a name this machine resolves\n',
      });
    } finally {
      busy.close();
    }
  });
});

describe('failure(): mistakes and bugs', () => {
  it("tinytalk's own errors are one line", () => {
    expect(failure(new FormatError('x.bin', 'header', 'CRDP'))).toEqual({ text: 'tinytalk: x.bin: header: expected CRDP\n', status: 1 });
  });

  it('anything else is a bug: its stack and a request to report it, status 70', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'rows')");
    const { text, status } = failure(bug);
    expect(status).toBe(70);
    expect(text).toContain(`tinytalk: internal error, a bug in tinytalk:\n${bug.stack}\n`);
    expect(text).toMatch(/Please report it with the command you ran and this output\.\n$/);
    // an operating-system error without the path that would make it a user's mistake is a bug too
    expect(failure(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })).status).toBe(70);
  });
});

#!/usr/bin/env node
// The README as a new user follows it, in a fresh clone of this commit with ../shared beside it:
// - the quick start exactly as written: the install compiles nothing and warns about nothing, and
//   its last command reaches the chat prompt within 5 s of the install finishing;
// - every other example of the README, as written (serve until it answers, train until its first
//   step is logged), and stopping npx alone stops what it started;
// - another project installs the package (the `npm pack` file, and the folder) quickly, quietly,
//   without building, and runs the README's library example.
// Run by .ci/run; the dependencies come from the npm registry or npm's cache. Exits 1 on failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROMPT_WITHIN_MS = 5000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'tinytalk-fresh-clone-'));
const clone = join(work, 'tinytalk');
const shared = join(work, 'shared');
const env = {
  ...process.env,
  HF_ENDPOINT: join(shared, 'hub'), // the hub as a mirror directory: no internet needed
  HF_HOME: join(work, 'hf-home'), // an empty cache, as on a new machine
  npm_config_prefer_offline: 'true',
};
const failures = [];
const log = (s) => process.stdout.write(`${s}\n`);
const check = (ok, what) => {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
};
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a shell command to its end (stdin closed); its status, output and time. */
function run(command, cwd) {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Starts a shell command in its own process group; resolves when its output matches `ready` (or it ends). */
function start(command, cwd, ready, input = 'ignore') {
  const child = spawn('bash', ['-c', command], { cwd, env, stdio: [input, 'pipe', 'pipe'], detached: true });
  let out = '';
  const t0 = performance.now();
  const done = new Promise((resolve) => child.on('exit', (status) => resolve(status)));
  const matched = new Promise((resolve) => {
    const look = (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ match: m, ms: performance.now() - t0 });
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    done.then(() => resolve(undefined));
    setTimeout(() => resolve(undefined), 600_000);
  });
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    return done;
  };
  return { child, matched, done, stop, output: () => out };
}

/** The README's sh code blocks, each as its commands (continuation lines joined). */
function readmeBlocks(readme) {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((block) =>
    block[1].replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== ''));
}

// ---- a fresh clone, ../shared beside it ----------------------------------------------------------
log(`fresh clone of ${root} (HEAD) in ${work}`);
if (spawnSync('git', ['clone', '--quiet', root, clone], { stdio: 'inherit' }).status !== 0) process.exit(1);
symlinkSync(realpathSync(join(root, '..', 'shared')), shared, 'dir');
const readme = readFileSync(join(clone, 'README.md'), 'utf8');
const [quick, ...examples] = readmeBlocks(readme.slice(readme.indexOf('## Quick start')));
check(quick.length >= 2 && /npx tinytalk chat$/.test(quick.at(-1)), `the quick start ends with the chat: ${JSON.stringify(quick)}`);

// ---- the quick start, exactly as written -----------------------------------------------------------
for (const command of quick.slice(0, -1)) {
  const r = run(command, clone);
  check(r.status === 0, `${command} (${seconds(r.ms)})`);
  check(!/npm warn/i.test(r.out), `${command}: no warnings${/npm warn/i.test(r.out) ? `:\n${r.out}` : ''}`);
  if (command === 'npm install') check(!existsSync(join(clone, 'dist')), 'npm install compiles nothing (no dist/ yet)');
}
if (spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status !== 0) {
  check(false, "util-linux's script (a terminal for the chat) is missing");
} else {
  // in a terminal, as a user types it: the banner, then the prompt
  const chat = start(`script -qfec ${JSON.stringify(quick.at(-1))} /dev/null`, clone, /press Enter; \/help[^\n]*\n[\s\S]*> /, 'pipe');
  const ready = await chat.matched;
  check(ready !== undefined && ready.ms < PROMPT_WITHIN_MS, `${quick.at(-1)}: the chat prompt ${ready ? `after ${seconds(ready.ms)}` : 'never came'} (within ${seconds(PROMPT_WITHIN_MS)} of the install)${ready ? '' : `:\n${chat.output()}`}`);
  chat.child.stdin.write('/exit\r');
  const status = await Promise.race([chat.done, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
  if (status === 'still running') await chat.stop();
  check(status === 0, `/exit ends the chat (${status})`);
}

// ---- stopping npx alone (as a process manager or a timeout does) stops the tinytalk it started ----
{
  const serve = start('exec npx tinytalk serve --port 0 --model ../shared/models/tinytalk-q4/model_neo_q4.bin', clone, /serving \S+ at (http:\/\/\S+) /);
  const ready = await serve.matched;
  if (check(ready !== undefined, `npx tinytalk serve starts${ready ? '' : `:\n${serve.output()}`}`)) {
    process.kill(serve.child.pid, 'SIGTERM'); // npx's process only, not its group
    let closed = false;
    for (let t = 0; t < 50 && !closed; t++) {
      await new Promise((r) => setTimeout(r, 200));
      closed = await fetch(`${ready.match[1]}/health`).then(() => false, () => true);
    }
    check(closed, 'SIGTERM to npx alone stops the server it started (no orphan)');
  }
  await serve.stop();
}

// ---- every other example of the README, as written -----------------------------------------------
for (const command of examples.flat()) {
  if (command === 'npm test') continue; // the whole suite: .ci/run runs it
  if (/npx tinytalk serve/.test(command)) {
    const serve = start(command, clone, /serving \S+ at (http:\/\/\S+) /);
    const ready = await serve.matched;
    const health = ready && (await fetch(`${ready.match[1]}/health`).then((r) => r.json(), () => undefined));
    check(health?.status === 'ok', `${command}: serves${health ? '' : `:\n${serve.output()}`}`);
    await serve.stop();
  } else if (/npx tinytalk train/.test(command)) {
    const out = /--out (\S+)/.exec(command)[1];
    const train = start(command, clone, /train \|/); // the progress bar: data read, first validation done
    const metrics = join(clone, out, 'metrics.jsonl');
    let stepped = false;
    for (let t = 0; t < 600 && !stepped; t++) {
      await new Promise((r) => setTimeout(r, 1000));
      stepped = existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"loss"');
      if (train.child.exitCode !== null) break;
    }
    check(stepped, `${command}: trains (its first step logged)${stepped ? '' : `:\n${train.output()}`}`);
    await train.stop();
  } else {
    const r = run(command, clone);
    check(r.status === 0 && !/^tinytalk: /m.test(r.stderr), `${command} (${seconds(r.ms)})${r.status === 0 ? '' : `:\n${r.out}`}`);
  }
}

// ---- another project installs the package ----------------------------------------------------------
const pack = run('npm pack', clone);
const tarball = pack.stdout.trim().split('\n').pop();
check(pack.status === 0 && tarball.endsWith('.tgz'), `npm pack (build and declarations, ${seconds(pack.ms)})`);
const consumer = (name, spec) => {
  const dir = join(work, name); // beside ../shared, so the library example's paths hold
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const r = run(`npm install ${spec}`, dir);
  check(r.status === 0 && !/npm warn/i.test(r.out), `${name}: npm install ${spec}, quietly (${seconds(r.ms)})${r.status === 0 && !/npm warn/i.test(r.out) ? '' : `:\n${r.out}`}`);
  check(!existsSync(join(dir, 'node_modules', 'assemblyscript')) && !existsSync(join(dir, 'node_modules', 'typescript')), `${name}: no build toolchain installed`);
  return dir;
};
const fromTarball = consumer('consumer-tarball', `../tinytalk/${tarball}`);
const version = run('npx tinytalk --version', fromTarball);
check(version.out.trim() === JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).version, `consumer: npx tinytalk --version (${version.out.trim()})`);
const library = /```ts\n([\s\S]*?)```/.exec(readme)[1];
writeFileSync(join(fromTarball, 'example.mjs'), library);
const example = run('node example.mjs', fromTarball);
check(example.status === 0 && example.out.trim().length > 0, `consumer: the README's library example runs${example.status === 0 ? '' : `:\n${example.out}`}`);
consumer('consumer-folder', '../tinytalk');

if (failures.length > 0) {
  log(`${failures.length} check(s) failed; the clone is kept in ${work}`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
log('all checks passed');
process.exit(0);

// Started by `npx tinytalk …` (npm exec), tinytalk runs under a shell that npx starts; stopping npx
// (a SIGTERM to it alone, as process managers and timeouts send) ends that shell but not tinytalk,
// which would go on as an orphan (a `serve` holding its port). So under npm exec, tinytalk stops
// when its parent is gone, the way it stops on SIGTERM.
const CHECK_MS = 500;

export function exitWithNpx(): void {
  if (process.env.npm_command !== 'exec') return;
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, CHECK_MS).unref();
}

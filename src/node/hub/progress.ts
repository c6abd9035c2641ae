// The download progress bar: cli-progress on stderr, only when stderr is a terminal (scripts and
// logs get nothing). One bar per file, started on its first bytes and stopped when it completes.
import cliProgress from 'cli-progress';

export function progressBar(stream: NodeJS.WriteStream = process.stderr): (file: string, received: number, total: number | undefined) => void {
  if (!stream.isTTY) return () => {};
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  return (file, received, total) => {
    if (file !== current || bar === undefined) {
      bar?.stop();
      current = file;
      bar = new cliProgress.SingleBar(
        { stream, format: `${file} [{bar}] {percentage}% {value}/{total} bytes`, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, received);
    }
    bar.update(received);
    if (total !== undefined && received >= total) {
      bar.stop();
      bar = undefined;
    }
  };
}

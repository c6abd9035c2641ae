// What a training run shows on stderr: the data report, a progress bar (loss, tokens/s, time
// left) and validation losses. Nothing is drawn when stderr is not a terminal.
import cliProgress from 'cli-progress';
import { describeReport } from '../../core/train/data.js';
import type { TrainEvents } from './trainer.js';

export function progressReporter(verbose: boolean): { events: TrainEvents; stop(): void } {
  const say = (s: string) => process.stderr.write(`${s}\n`);
  let bar: cliProgress.SingleBar | undefined;
  const events: TrainEvents = {
    data(d) {
      say(describeReport('train', d.trainReport));
      say(describeReport('validation', d.valReport));
    },
    validation(step, loss) {
      if (verbose && !bar) say(`step ${step}: validation loss ${loss.toFixed(4)}`);
      else bar?.update({ val: loss.toFixed(3) });
    },
    extend(from, to, lr) {
      say(
        `extending the run to ${to} steps: the learning-rate schedule (warm-up, then cosine decay to its minimum) ` +
          `is recomputed for ${to} steps, so step ${from + 1} runs at lr ${lr.toPrecision(3)}`,
      );
    },
    start(state) {
      const what = state.step === 0 ? `training ${state.totalSteps} steps` : `training steps ${state.step + 1} to ${state.totalSteps} (resumed)`;
      say(`${what}: batch ${state.batch} × ${state.accum} × ${state.seqLen} tokens, ${state.threads} thread(s), lr ${state.lr}, warm-up ${state.warmup}`);
      if (!verbose) return;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'train |{bar}| {value}/{total} steps | loss {loss} | val {val} | {tps} tok/s | {left} left',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(state.totalSteps, state.step, { loss: '-', val: state.valLossBefore.toFixed(3), tps: '-', left: '-' });
    },
    step(m) {
      const left = m.secondsLeft >= 90 ? `${Math.round(m.secondsLeft / 60)}m` : `${Math.round(m.secondsLeft)}s`;
      bar?.update(m.step, { loss: m.loss.toFixed(3), tps: m.tokensPerSecond.toFixed(0), left });
    },
  };
  return { events, stop: () => bar?.stop() };
}

// Checkpoints in the Hugging Face layout plus what a resumed run needs (optimizer moments, step,
// settings; with quantization-aware training, the float32 master weights beside the moments,
// while the model files hold the Q4_0 weights the run computes with), written into a temporary directory that then replaces the previous checkpoint, so a
// kill at any moment leaves a complete checkpoint behind.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../../core/errors.js';
import { hfCheckpointFiles } from '../../core/export/hf.js';
import { parseSafetensors, writeSafetensors } from '../../core/formats/safetensors.js';
import type { Model } from '../../core/neo/model.js';
import { paramsFromSafetensors, paramsToTensors, weightsFromParams, type ParamLayout } from '../../core/train/params.js';
import type { TrainingState } from '../../core/train/loop.js';
import type { AdamWState } from '../../core/train/optim.js';
import { readBytes, readText, writeFileAtomic } from '../files.js';

export const STATE_FILE = 'training-state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** Where the latest checkpoint lives inside the output directory. */
export function checkpointDir(out: string): string {
  return join(out, 'model');
}

/** The checkpoint to resume from: `model/`, or `model.old/` if a kill came between the two renames. */
export function existingCheckpoint(out: string): string | undefined {
  for (const d of [checkpointDir(out), `${checkpointDir(out)}.old`]) if (existsSync(join(d, STATE_FILE))) return d;
  return undefined;
}

/** params: the network (model.safetensors); master: the float32 weights QAT updates, if any. */
export async function saveCheckpoint(
  out: string, model: Model, layout: ParamLayout, params: Float32Array, adam: AdamWState, state: TrainingState, master?: Float32Array,
): Promise<string> {
  const dir = checkpointDir(out);
  const tmp = join(out, `.model.${process.pid}.tmp`);
  const old = `${dir}.old`;
  // also the temporary directories a killed run left behind
  for (const name of await readdir(out)) if (/^\.model\.\d+\.tmp$/.test(name)) await rm(join(out, name), { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const files = hfCheckpointFiles({ config: layout.config, weights: weightsFromParams(layout, params), tokenizer: model.tokenizer, generation: model.generation });
  for (const [name, bytes] of files) await writeFileAtomic(join(tmp, name), bytes);
  const moments = [
    ...paramsToTensors(layout, adam.m).map((t) => ({ ...t, name: `exp_avg.${t.name}` })),
    ...paramsToTensors(layout, adam.v).map((t) => ({ ...t, name: `exp_avg_sq.${t.name}` })),
    ...(master ? paramsToTensors(layout, master).map((t) => ({ ...t, name: `${MASTER}${t.name}` })) : []),
  ];
  await writeFileAtomic(join(tmp, OPTIMIZER_FILE), writeSafetensors(moments, { format: 'pt', adam_step: String(adam.t) }));
  await writeFileAtomic(join(tmp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
  return dir;
}

export async function loadTrainingState(dir: string): Promise<TrainingState> {
  const file = join(dir, STATE_FILE);
  const s = JSON.parse(await readText(file)) as TrainingState;
  if (s.version !== 1 || !Number.isSafeInteger(s.step)) throw new FormatError(file, 'version', '1 with an integer step', String(s.version));
  return s;
}

/** Name prefix of the master weights in the optimizer file. */
const MASTER = 'master.';

/** The optimizer's moments, and the QAT master weights when the checkpoint has them. */
export async function loadOptimizer(dir: string, layout: ParamLayout): Promise<AdamWState & { master?: Float32Array }> {
  const file = join(dir, OPTIMIZER_FILE);
  const st = parseSafetensors(await readBytes(file), file);
  const pick = (prefix: string) => {
    const renamed = new Map([...st.tensors].filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), t]));
    return paramsFromSafetensors(layout, { ...st, tensors: renamed });
  };
  const t = Number(st.metadata.adam_step);
  if (!Number.isSafeInteger(t)) throw new FormatError(file, '__metadata__.adam_step', 'an integer', String(st.metadata.adam_step));
  const hasMaster = [...st.tensors.keys()].some((n) => n.startsWith(MASTER));
  return { m: pick('exp_avg.'), v: pick('exp_avg_sq.'), t, ...(hasMaster && { master: pick(MASTER) }) };
}

// Which model the files a user picked (or the server sent) make up: a firmware CRDP blob with its
// CTK2 tokenizer, or a Hugging Face checkpoint (model.safetensors + config.json + tokenizer files).
import { UsageError } from '../core/errors.js';
import { loadCtk2 } from '../core/formats/ctk2.js';
import { modelFromCrdp, modelFromHfFiles } from '../core/load/model.js';
import type { Model } from '../core/neo/model.js';
import type { NamedFile } from './protocol.js';

const magic = (f: NamedFile) => String.fromCharCode(...f.bytes.subarray(0, 4));
const text = (f: NamedFile | undefined) => (f ? new TextDecoder().decode(f.bytes) : undefined);

export function modelFromNamedFiles(files: NamedFile[]): Model {
  const byName = (name: string) => files.find((f) => f.name === name);
  const crdp = files.find((f) => magic(f) === 'CRDP');
  const ctk2 = files.find((f) => magic(f) === 'CTK2');
  if (crdp) {
    if (!ctk2) throw new UsageError(`${crdp.name} is a firmware model: pick its tokenizer blob (CTK2) too`);
    return modelFromCrdp(crdp.bytes, ctk2.bytes, crdp.name, ctk2.name);
  }
  const weights = files.find((f) => f.name.endsWith('.safetensors'));
  const config = byName('config.json');
  if (!weights || !config) {
    throw new UsageError('pick a firmware .bin with its tokenizer, or model.safetensors with config.json and tokenizer.json');
  }
  return modelFromHfFiles(
    {
      config: text(config)!,
      safetensors: weights.bytes,
      tokenizerJson: text(byName('tokenizer.json')),
      vocabJson: text(byName('vocab.json')),
      mergesTxt: text(byName('merges.txt')),
      generationConfig: text(byName('generation_config.json')),
      ...(ctk2 ? { tokenizer: loadCtk2(ctk2.bytes, ctk2.name) } : {}),
    },
    weights.name,
  );
}

// Which model the files a user picked (or the server sent) make up, by the same rule as the CLI
// (core/load/pairing.ts): a Hugging Face checkpoint (config.json, a .safetensors file, tokenizer
// files, or a CTK2 blob as its tokenizer), or a firmware CRDP blob with its CTK2 tokenizer.
import { UsageError } from '../core/errors.js';
import { loadCtk2 } from '../core/formats/ctk2.js';
import { HF_FILES, modelFromCrdp, modelFromHfFiles } from '../core/load/model.js';
import { fileFormat, modelAmong, tokenizerFor } from '../core/load/pairing.js';
import type { Model } from '../core/neo/model.js';
import type { NamedFile } from './protocol.js';

const text = (f: NamedFile | undefined) => (f ? new TextDecoder().decode(f.bytes) : undefined);

export function modelFromNamedFiles(picked: NamedFile[]): Model {
  const files = picked.map((f) => ({ ...f, head: f.bytes }));
  const byName = (name: string | undefined) => files.find((f) => f.name === name);
  const model = modelAmong(files);
  const tokenizerOf = (name: string): NamedFile | undefined => {
    const choice = tokenizerFor(name, files);
    if ('found' in choice) return byName(choice.found);
    if (choice.candidates.length > 1) throw new UsageError(`several CTK2 tokenizers (${choice.candidates.join(', ')}): pick only the one of ${name}`);
    return undefined;
  };
  if ('candidates' in model && model.candidates.length > 1) throw new UsageError(`several firmware models (${model.candidates.join(', ')}): pick one`);
  if ('found' in model) {
    const ctk2 = tokenizerOf(model.found);
    if (!ctk2) throw new UsageError(`${model.found} is a firmware model: pick its tokenizer blob (CTK2) too`);
    return modelFromCrdp(byName(model.found)!.bytes, ctk2.bytes, model.found, ctk2.name);
  }
  const weights = files.find((f) => fileFormat(f) === 'safetensors');
  const config = byName(HF_FILES.config);
  if (!weights || !config) throw new UsageError('pick a firmware .bin with its tokenizer, or model.safetensors with config.json and tokenizer.json');
  const ctk2 = files.some((f) => fileFormat(f) === 'ctk2') ? tokenizerOf(weights.name) : undefined;
  return modelFromHfFiles(
    {
      config: text(config)!,
      safetensors: weights.bytes,
      tokenizerJson: text(byName(HF_FILES.tokenizerJson)),
      vocabJson: text(byName(HF_FILES.vocabJson)),
      mergesTxt: text(byName(HF_FILES.mergesTxt)),
      generationConfig: text(byName(HF_FILES.generationConfig)),
      ...(ctk2 ? { tokenizer: loadCtk2(ctk2.bytes, ctk2.name) } : {}),
    },
    weights.name,
  );
}

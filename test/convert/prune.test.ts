// Vocabulary pruning (firmware-format.md 6.2): the shipped v3 blob is the v2 blob's weights under a
// smaller prune with 80 positions, so pruning v2 to v3's tokens must give TINYTLK.BIN/.TOK byte
// for byte. A corpus prune keeps what the corpus uses, stays encodable on the device (the CTK2
// reader's merge checks), and encodes the corpus to the same tokens.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCrdp } from '../../src/core/formats/crdp.js';
import { writeCtk2 } from '../../src/core/formats/ctk2.js';
import { pruneModel } from '../../src/core/export/prune.js';
import { parseCtk2 } from '../../src/core/formats/ctk2.js';
import { readCrdp } from '../../src/core/formats/crdp.js';
import { dequantize } from '../../src/core/formats/quant.js';
import { modelFromCrdp } from '../../src/core/load/model.js';
import type { Model } from '../../src/core/neo/model.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { sharedPath, V2_MODEL, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';

const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const latin1 = (p: Uint8Array): string => Buffer.from(p).toString('latin1');

let v2: Model;
let dir: string;
let corpus: string;
beforeAll(async () => {
  v2 = await loadModel(V2_MODEL());
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-prune-'));
  corpus = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8').split('\n\n').slice(0, 60).join('\n\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pruning to an explicit vocabulary', () => {
  it('turns the v2 blob into the shipped v3 blob (12,062 tokens, 80 positions) byte for byte', () => {
    const v3Pieces = parseCtk2(bytes(V3_TOKENIZER()), 'v3').pieces;
    const v2Ids = new Map(v2.tokenizer.vocab().pieces.map((p, id) => [latin1(p), id]));
    const keep = v3Pieces.map((p) => v2Ids.get(latin1(p))!);
    const r = pruneModel(v2, { keep, maxPositions: 80 });
    expect(r.keptIds).toEqual(keep);
    expect(r.addedByClosure).toBe(0);
    expect(Buffer.from(writeCtk2(r.model.tokenizer.vocab())).equals(Buffer.from(bytes(V3_TOKENIZER())))).toBe(true);
    expect(Buffer.from(writeCrdp(r.model.config, r.model.weights, 3)).equals(Buffer.from(bytes(V3_MODEL())))).toBe(true);
  });
});

describe('pruning to a corpus', () => {
  it('keeps what the corpus uses, byte tokens and EOS, closed under merges, and encodes the corpus the same', () => {
    const r = pruneModel(v2, { corpus: [corpus], minCount: 1, maxPositions: 64 });
    const pruned = r.model;
    const V = r.keptIds.length;
    expect(V).toBeGreaterThan(256);
    expect(V).toBeLessThan(5000);
    // the firmware's reader checks the closure: every id but bytes and EOS is one merge of kept parents
    const tok = writeCtk2(pruned.tokenizer.vocab());
    const blob = writeCrdp(pruned.config, pruned.weights, 2);
    const back = modelFromCrdp(blob, tok, 'pruned.bin', 'pruned.tok');
    expect(back.config.vocabSize).toBe(V);
    expect(back.config.maxPositions).toBe(64);
    expect(back.tokenizer.eosId).toBe(V - 1);
    expect(latin1(back.tokenizer.piece(V - 1))).toBe('<|endoftext|>');
    expect(r.keptIds.slice(0, 256)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    // the corpus encodes to the same tokens (renumbered), in both encodings
    for (const line of corpus.split('\n').slice(0, 150)) {
      for (const mode of ['gpt2', 'device'] as const) {
        const original = v2.tokenizer.encode(line, { mode });
        if (mode === 'device' && original.some((id) => !r.keptIds.includes(id))) continue; // device merges across words (2.3)
        expect(back.tokenizer.encode(line, { mode }).map((id) => r.keptIds[id])).toEqual(original);
      }
    }
    // a word the corpus never used falls back to smaller kept pieces and still decodes
    const rare = ' photosynthesis quantum zeppelin';
    expect(back.tokenizer.decode(back.tokenizer.encode(rare, { mode: 'device' }))).toBe(rare);
    // the embedding rows follow their tokens
    const before = dequantize(v2.weights.wte);
    const after = dequantize(back.weights.wte);
    for (const i of [0, 300, V - 2, V - 1]) {
      const old = r.keptIds[i]!;
      expect(after.subarray(i * 128, (i + 1) * 128)).toEqual(before.subarray(old * 128, (old + 1) * 128));
    }
  });

  it('keeps fewer tokens at a higher --min-count, always a subset', () => {
    const one = new Set(pruneModel(v2, { corpus: [corpus], minCount: 1 }).keptIds);
    const three = pruneModel(v2, { corpus: [corpus], minCount: 3 }).keptIds;
    expect(three.length).toBeLessThan(one.size);
    expect(three.every((id) => one.has(id))).toBe(true);
  });
});

describe('tinytalk convert --to firmware with pruning', () => {
  it('reports tokens kept and bytes saved, and checks the flash budget', () => {
    const corpusFile = join(dir, 'corpus.txt');
    writeFileSync(corpusFile, corpus);
    const out = join(dir, 'fw');
    const r = tinytalk(['convert', V2_MODEL(), '--to', 'firmware', '--version', '3', '--out', out, '--prune-corpus', corpusFile, '--min-count', '2', '--max-positions', '80', '--max-bytes', '1200000']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/vocabulary: kept [\d,]+ of 14,019 tokens/);
    expect(r.stderr).toMatch(/pruning saves [\d,]+ bytes of flash/);
    expect(r.stdout).toMatch(/fits the flash budget/);
    const blob = readCrdp(bytes(join(out, 'TINYTLK.BIN')), 'out');
    expect(blob.header.version).toBe(3);
    expect(blob.config.maxPositions).toBe(80);

    const tight = tinytalk(['convert', V2_MODEL(), '--to', 'firmware', '--out', join(dir, 'fw2'), '--max-bytes', '2000000']);
    expect(tight.status).toBe(1);
    expect(tight.stderr).toMatch(/^tinytalk: does not fit the flash budget: 2,290,613 bytes .* over by 290,613: prune about [\d,]+ more tokens .*--min-count/);
    const impossible = tinytalk(['convert', V2_MODEL(), '--to', 'firmware', '--out', join(dir, 'fw3'), '--max-bytes', '500000']);
    expect(impossible.status).toBe(1);
    expect(impossible.stderr).toMatch(/pruning cannot get there .* the model itself is too big/);
  });
});

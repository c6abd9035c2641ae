// Evaluation: the masked cross-entropy matches the float64 reference loss of the tiny model
// (Hugging Face's shifted-label convention), only bot-reply tokens (+ EOS) are scored, and the
// CLI prints one JSON object per model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockLoss, crossEntropy, evaluate } from '../../src/core/eval/evaluate.js';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { neoWeightsFromSafetensors } from '../../src/core/formats/hf-weights.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { parseTrainingText } from '../../src/core/train/data.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { sharedJson, sharedPath, TINY_MODEL, V2_MODEL } from '../helpers/shared.js';

describe('cross-entropy', () => {
  it('is log-sum-exp minus the target logit', () => {
    const logits = Float32Array.from([1, 2, 3, 0.5]);
    const expected = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(0.5)) - 2;
    expect(crossEntropy(logits, 0, 4, 1)).toBeCloseTo(expected, 12);
    expect(crossEntropy(Float32Array.from([9, 1000, 1000]), 1, 2, 0)).toBeCloseTo(Math.log(2), 12); // no overflow
  });

  it('over the tiny model’s masked labels gives the float64 reference loss', () => {
    const dir = TINY_MODEL();
    const config = parseHfConfig(readFileSync(join(dir, 'config.json'), 'utf8'), 'config.json');
    const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors');
    const engine = new Transformer({ config, weights: neoWeightsFromSafetensors(st, config) });
    const g = sharedJson<{ input_ids: number[][]; labels: number[][]; loss_tokens: number; float64: { loss: number } }>('golden', 'tiny_model', 'grads.json');
    let nll = 0;
    let count = 0;
    g.input_ids.forEach((ids, b) => {
      const logits = engine.prefill(engine.newSequence(), ids, { allLogits: true });
      const r = blockLoss(logits, g.labels[b]!, config.vocabSize);
      nll += r.nll;
      count += r.count;
    });
    expect(count).toBe(g.loss_tokens);
    expect(Math.abs(nll / count - g.float64.loss)).toBeLessThan(1e-5);
  });
});

describe('evaluate', () => {
  const text = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8');
  const chats = parseTrainingText(text).samples.filter((s) => s.kind === 'chat').slice(0, 6);

  it('scores exactly the bot replies and their EOS', async () => {
    const model = await loadModel(V2_MODEL());
    const tok = model.tokenizer;
    // counted from the raw text, independently of the data encoder
    const records = text.split('\n\n').filter((r) => r.startsWith('User: ')).slice(0, 6);
    const replies = records.flatMap((r) => r.split('\n').filter((l) => l.startsWith('Bot: ')).map((l) => l.slice(4).replace('<|endoftext|>', '')));
    const expected = replies.reduce((n, reply) => n + tok.encode(reply, { mode: 'gpt2' }).length + 1, 0);
    const r = evaluate(new Transformer(model), tok, chats);
    expect(r.samples).toBe(6);
    expect(r.tokens).toBe(expected);
    expect(r.loss).toBeGreaterThan(0.5);
    expect(r.loss).toBeLessThan(4);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.loss), 10);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
  });
});

describe('evaluate on story records', () => {
  it('scores the story body and its EOS, not the header lines', async () => {
    const model = await loadModel(V2_MODEL());
    const tok = model.tokenizer;
    const text = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8');
    // short records with a header, so the whole record fits one 256-token block
    const records = text.split('\n\n').filter((r) => !r.startsWith('User: ') && r.includes('\nStory:') && r.length < 800).slice(0, 3);
    expect(records).toHaveLength(3);
    const bodies = records.map((r) => r.slice(r.indexOf('\nStory:') + '\nStory:'.length).replace(/<\|endoftext\|>\n?$/, ''));
    const expected = bodies.reduce((n, body) => n + tok.encode(body, { mode: 'gpt2' }).length + 1, 0);
    const samples = parseTrainingText(records.join('\n\n')).samples;
    expect(samples.map((x) => x.kind)).toEqual(['story', 'story', 'story']);
    const r = evaluate(new Transformer(model), tok, samples);
    expect(r.tokens).toBe(expected);
    expect(r.loss).toBeGreaterThan(0.3);
    expect(r.loss).toBeLessThan(4);
  });
});

describe('tinytalk eval', () => {
  it('prints loss, perplexity, tokens and samples as JSON, a list with --compare', () => {
    const data = sharedPath('data', 'chat_val.txt');
    const one = tinytalk(['eval', '--model', V2_MODEL(), '--data', data, '--limit', '3', '--json']);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    const r = JSON.parse(one.stdout);
    expect(r).toMatchObject({ samples: 3 });
    expect(Math.exp(r.loss)).toBeCloseTo(r.perplexity, 8);
    expect(r.tokens).toBeGreaterThan(10);

    const two = tinytalk(['eval', '--model', V2_MODEL(), '--data', data, '--limit', '3', '--compare', V2_MODEL(), '--json']);
    const list = JSON.parse(two.stdout) as (typeof r)[];
    expect(list).toHaveLength(2);
    expect(list[1].loss).toBe(r.loss);

    const table = tinytalk(['eval', '--model', V2_MODEL(), '--data', data, '--limit', '2']);
    expect(table.stdout).toMatch(/^model\s+weights\s+loss\s+perplexity\s+tokens\s+samples\s+tokens\/s\n.*crdp q4_0/);
  });

  it('names a missing data file', () => {
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', '/nonexistent/val.txt']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/val\.txt/);
  });
});

// The stand-in checkpoint's pruned tokenizer.json (GPT-2 regex + pruned BPE) against the firmware
// goldens and the PyTorch reference's prompt ids: same 14,019-token vocabulary as tok_neo.bin.
import { describe, expect, it } from 'vitest';
import { sharedJson } from '../helpers/shared.js';
import { ctk2V2, standIn } from './load.js';

const hf = standIn();
const ctk2 = ctk2V2();
const golden = sharedJson<{ entries: Array<{ text: string; ids: number[] }> }>('golden', 'tokenizer_firmware.json');
const forward = sharedJson<{ entries: Array<{ kind: string; prompt: string; prompt_ids: number[] }> }>('golden', 'hf_forward_f32.json');

describe('pruned tokenizer.json (stand-in)', () => {
  it('has the pruned vocabulary with EOS last', () => {
    expect([hf.vocabSize, hf.eosId, hf.defaultMode]).toEqual([14019, 14018, 'gpt2']);
  });

  it("gives hf_forward_f32.json's prompt ids (GPT-2 mode, and device mode agrees there)", () => {
    expect(forward.entries.length).toBe(12);
    for (const e of forward.entries) {
      expect(hf.encode(e.prompt)).toEqual(e.prompt_ids);
      expect(ctk2.encode(e.prompt)).toEqual(e.prompt_ids);
    }
  });

  it('gives the firmware ids on the golden chat lines (GPT-2 regex changes nothing there)', () => {
    const chat = golden.entries.slice(0, 250).filter((e) => /^(User|Bot): /.test(e.text));
    expect(chat.length).toBeGreaterThan(100);
    expect(chat.filter((e) => JSON.stringify(hf.encode(e.text)) !== JSON.stringify(e.ids))).toEqual([]);
  });

  it('gives the firmware ids on every golden entry in device mode (same vocabulary, device rule)', () => {
    const bad = golden.entries.filter((e) => JSON.stringify(hf.encode(e.text, { mode: 'device' })) !== JSON.stringify(e.ids));
    expect(bad).toEqual([]);
  });

  it('differs from the device only where the regex splits whitespace runs', () => {
    expect(hf.encode('a\n\nb')).toEqual([64, 198, 198, 65]);
    expect(ctk2.encode('a\n\nb')).toEqual([64, 626, 65]);
  });

  it('holds the same pieces and merges as tok_neo.bin', () => {
    const a = hf.vocab(), b = ctk2.vocab();
    expect(a.pieces.map((p) => Array.from(p).join())).toEqual(b.pieces.map((p) => Array.from(p).join()));
    expect(a.merges).toEqual(b.merges); // ranks (merges order) = result-id order for this prune
    expect(Array.from(a.byteIds)).toEqual(Array.from(b.byteIds));
  });
});

// `tinytalk bench` as a user runs it: with two kernel threads it measures, prints one JSON object
// with the fields and exits 0 (it once hung in the thread pool's close and exited 13).
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { V2_MODEL } from '../helpers/shared.js';

describe('tinytalk bench', () => {
  it('--threads 2 --json on the v2 blob: one object with the measured fields', () => {
    const r = tinytalk(['bench', '--model', V2_MODEL(), '--threads', '2', '--runs', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ model: V2_MODEL(), threads: 2, mode: 'reference' });
    for (const key of ['decode_tokens_per_second', 'prefill_tokens_per_second', 'load_ms', 'first_token_ms', 'peak_rss_mb']) {
      expect(out[key], key).toBeGreaterThan(0);
    }
  });

  it('--mode firmware: the v2 and the v3 blob side by side, each in its own firmware\'s arithmetic', () => {
    const r = tinytalk(['bench', '--mode', 'firmware', '--runs', '1']);
    expect(r.status, r.stderr).toBe(0);
    const [head, v2, v3] = r.stdout.split('\n');
    expect(head).toMatch(/^model\s+mode\s+firmware\s/);
    expect(v2).toMatch(/model_neo_q4\.bin\s+firmware\s+2\s/);
    expect(v3).toMatch(/TINYTLK\.BIN\s+firmware\s+3\s/);
    // the v2 blob on v3 arithmetic: the same weights and window, the other firmware's arithmetic
    const j = tinytalk(['bench', '--mode', 'firmware', '--firmware-version', '3', '--model', V2_MODEL(), '--runs', '1', '--json']);
    expect(j.status, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ model: V2_MODEL(), mode: 'firmware', firmware_version: 3 });
  });

  it('refuses firmware options in reference mode', () => {
    const r = tinytalk(['bench', '--model', V2_MODEL(), '--fma']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--fma measure firmware arithmetic: add --mode firmware/);
  });

  it('refuses a thread count outside 1..64', () => {
    const r = tinytalk(['bench', '--model', V2_MODEL(), '--threads', '0']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/threads/);
  });
});

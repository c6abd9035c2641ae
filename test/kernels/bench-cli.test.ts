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

  it('refuses a thread count outside 1..64', () => {
    const r = tinytalk(['bench', '--model', V2_MODEL(), '--threads', '0']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/threads/);
  });
});

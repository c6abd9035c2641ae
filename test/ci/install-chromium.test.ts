// .ci/install-chromium on a busy machine, with a stand-in apt-get that finds the dpkg lock held:
// every apt-get call waits for the lock (DPkg::Lock::Timeout), a failed install is retried, and
// CI gives up only after the last attempt, saying why.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';

/** Runs the script with an apt-get whose first `busy` installs fail on the lock; returns its calls. */
function install(busy: number, attempts = 4) {
  const dir = mkdtempSync(join(tmpdir(), 'tinytalk-apt-'));
  const apt = join(dir, 'apt-get');
  writeFileSync(
    apt,
    `#!/bin/sh
echo "$*" >> "${dir}/calls"
case "$*" in *install*)
  n=$(cat "${dir}/installs" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/installs"
  if [ $n -le ${busy} ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2; exit 100; fi;;
esac
exit 0
`,
  );
  chmodSync(apt, 0o755);
  const r = spawnSync(join(ROOT, '.ci', 'install-chromium'), {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, APT_RETRY_DELAY: '0', APT_ATTEMPTS: String(attempts) },
  });
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  return { status: r.status, stderr: r.stderr, calls };
}

describe('.ci/install-chromium', () => {
  it('waits for the lock on every call and retries until the install goes through', () => {
    const r = install(2);
    expect(r.status, r.stderr).toBe(0);
    for (const call of r.calls) expect(call).toMatch(/^-o DPkg::Lock::Timeout=\d+ -qq /);
    expect(r.calls.filter((c) => c.endsWith('install -y chromium'))).toHaveLength(3);
    expect(r.stderr).toContain('installing chromium failed (attempt 2 of 4), retrying in 0s');
  });

  it('gives up after the last attempt, saying why', () => {
    const r = install(9, 3);
    expect(r.status).toBe(1);
    expect(r.calls.filter((c) => c.endsWith('install -y chromium'))).toHaveLength(3);
    expect(r.stderr.trim().split('\n').pop()).toBe('could not install chromium after 3 attempts: the browser test needs it');
  });
});

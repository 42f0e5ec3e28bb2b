// Start-up bookkeeping of the stack's processes: the lock that keeps two stack:up apart, and the
// health wait that must judge the process it started, not whatever the pid file names later.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackProcess } from './part.ts';
import { pidFile } from './paths.ts';
import { startDetached, stopProcess, withFileLock } from './processes.ts';
import { waitHealthy } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withFileLock', () => {
  it('waits for a lock file a live holder has created but not written yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-lock-'));
    const lock = join(dir, 'stack.lock');
    // Another stack:up between creating its lock file and writing its pid into it.
    writeFileSync(lock, '');
    let released = false;
    const release = sleep(1_500).then(() => {
      released = true;
      rmSync(lock);
    });
    let ranWhileHeld = true;
    await withFileLock(lock, 10_000, async () => {
      ranWhileHeld = !released;
    });
    await release;
    expect(ranWhileHeld).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('waitHealthy', () => {
  it('judges the process it started even when the pid file was overwritten by a start that failed', async () => {
    const name = `test-wait-healthy-${process.pid}`;
    const spec = { command: 'sleep', args: ['30'], identity: 'sleep' };
    const pid = startDetached(name, spec);
    try {
      // A concurrent start of the same process: its process exited at once (port in use) and
      // its pid is what the pid file now names.
      const failed = spawn('true');
      await new Promise((resolve) => failed.on('exit', resolve));
      writeFileSync(pidFile(name), `${failed.pid}\n`);
      const becomesHealthy = Date.now() + 1_000;
      const part = {
        name,
        identity: 'sleep',
        healthy: () => Promise.resolve(Date.now() > becomesHealthy),
      } as unknown as StackProcess;
      await expect(waitHealthy(part, pid, spec, 10_000)).resolves.toBeUndefined();
    } finally {
      writeFileSync(pidFile(name), `${pid}\n`);
      await stopProcess(name, 'sleep', 1_000);
    }
  });
});

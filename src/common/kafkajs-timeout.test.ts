// The install-time patch of kafkajs' negative setTimeout (patches/kafkajs-negative-timeout.mjs):
// kafkajs is loaded in child processes, so that Node's own warning output is what is checked.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
const script = join(repo, 'patches', 'kafkajs-negative-timeout.mjs');
const queueFile = join('node_modules', 'kafkajs', 'src', 'network', 'requestQueue', 'index.js');
const PATCHED_LINE = '      }, Math.max(0, scheduleAt)) // patched by patches/kafkajs-negative-timeout.mjs\n';
const ORIGINAL_LINE = '      }, scheduleAt)\n';

/**
 * Loads kafkajs' RequestQueue from `root`, schedules the pending-requests check the way a fresh
 * connection does (nothing pending, never throttled), and emits one real warning: returns stderr.
 */
async function stderrOfQueue(root: string): Promise<string> {
  const program = `
    const RequestQueue = require(${JSON.stringify(join(root, queueFile))});
    const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 't', broker: 'b', logger: { debug() {}, warn() {}, error() {} } });
    queue.scheduleCheckPendingRequests();
    process.emitWarning('a real warning stays visible');
    setTimeout(() => clearTimeout(queue.throttleCheckTimeoutId), 50);
  `;
  const { stderr } = await run(process.execPath, ['-e', program]);
  return stderr;
}

const temp = mkdtempSync(join(tmpdir(), 'kafkajs-patch-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A copy of the installed kafkajs under a fresh root, with the patched line as kafkajs ships it. */
function unpatchedCopy(name: string): string {
  const root = join(temp, name);
  cpSync(join(repo, 'node_modules', 'kafkajs'), join(root, 'node_modules', 'kafkajs'), { recursive: true });
  const file = join(root, queueFile);
  writeFileSync(file, readFileSync(file, 'utf8').replace(PATCHED_LINE, ORIGINAL_LINE));
  return root;
}

describe('kafkajs negative timeout patch', () => {
  it('is applied to the installed kafkajs: no TimeoutNegativeWarning, real warnings still shown', async () => {
    expect(readFileSync(join(repo, queueFile), 'utf8')).toContain(PATCHED_LINE);
    const stderr = await stderrOfQueue(repo);
    expect(stderr).not.toMatch(/TimeoutNegativeWarning/);
    expect(stderr).toMatch(/Warning: a real warning stays visible/);
  });

  it('removes the warning that kafkajs as shipped prints, and is idempotent', async () => {
    const root = unpatchedCopy('shipped');
    expect(await stderrOfQueue(root)).toMatch(/TimeoutNegativeWarning: -\d+ is a negative number/);

    const first = await run(process.execPath, [script], { cwd: root });
    expect(first.stdout).toMatch(/patched .*requestQueue/);
    expect(await stderrOfQueue(root)).not.toMatch(/TimeoutNegativeWarning/);

    const again = await run(process.execPath, [script], { cwd: root });
    expect(again.stdout).toBe('');
    expect(readFileSync(join(root, queueFile), 'utf8').split(PATCHED_LINE)).toHaveLength(2);
  });

  it('fails the install with a clear message when kafkajs no longer has the line', async () => {
    const root = unpatchedCopy('upgraded');
    const file = join(root, queueFile);
    writeFileSync(file, readFileSync(file, 'utf8').replace(ORIGINAL_LINE, '      }, delay)\n'));
    await expect(run(process.execPath, [script], { cwd: root })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /does not have the one line this patch expects \(kafkajs was upgraded\?\)/,
      ),
    });
  });
});

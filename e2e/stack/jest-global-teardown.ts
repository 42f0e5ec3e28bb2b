// Integration suites' global teardown: stop the parts of the stack that the global setup
// started, and only those. KEEP_STACK=1 keeps them running (e.g. to read the logs after a failure).
// (Imported by absolute URL for the reason given in jest-global-setup.ts.)
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type * as Stack from './stack.ts';

export default async function globalTeardown(): Promise<void> {
  const { paths, stopStack } = (await import(new URL('./stack.ts', import.meta.url).href)) as typeof Stack;
  if (!existsSync(paths.startedByTestsMarker)) return;
  const started = JSON.parse(readFileSync(paths.startedByTestsMarker, 'utf8')) as string[];
  rmSync(paths.startedByTestsMarker, { force: true });
  if (process.env.KEEP_STACK === '1') {
    process.stdout.write(`[stack] KEEP_STACK=1: leaving ${started.join(', ')} running\n`);
    return;
  }
  const { busyPorts } = await stopStack(started);
  if (busyPorts.length > 0) {
    throw new Error(`ports still in use after stopping the stack: ${busyPorts.join(', ')}`);
  }
}

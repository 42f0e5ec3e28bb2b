// Integration suites' global setup: bring the local stack up, and remember which parts of it
// this run started, so that the global teardown stops only those (a stack the developer brought
// up with `npm run stack:up` stays up).
//
// Jest loads this file with Node's own ESM loader after ts-jest has rewritten relative `.ts`
// imports to `.js`, which do not exist here; importing by absolute URL keeps the `.ts` module.
import { rmSync, writeFileSync } from 'node:fs';
import type * as Stack from './stack.ts';

export default async function globalSetup(): Promise<void> {
  const { ensureStack, paths } = (await import(new URL('./stack.ts', import.meta.url).href)) as typeof Stack;
  const { startedProcesses } = await ensureStack();
  if (startedProcesses.length > 0) {
    writeFileSync(paths.startedByTestsMarker, `${JSON.stringify(startedProcesses)}\n`);
  } else {
    rmSync(paths.startedByTestsMarker, { force: true });
  }
}

#!/usr/bin/env node
// Entry point of the image: one binary, one mode per process.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeFailure } from './common/errors.ts';
import { applyHeapOptions } from './common/heap-options.ts';

type Mode = { describe: string; load: () => Promise<{ main(): Promise<void> }> };

export const modes: Record<string, Mode> = {
  controller: {
    describe: 'reconcile RatingExperiments into topics, deployments and services',
    load: () => import('./controller/main.ts'),
  },
  producer: {
    describe: 'generate ratings and accept them over HTTP, into the experiment topic',
    load: () => import('./producer/main.ts'),
  },
  consumer: {
    describe: 'count the ratings of the experiment topic exactly once into its status',
    load: () => import('./consumer/main.ts'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(modes).map((m) => m.length));
  const lines = Object.entries(modes).map(([name, mode]) => `  ${name.padEnd(width)}  ${mode.describe}`);
  return ['usage: ratings-operator <mode>', '', 'modes:', ...lines, ''].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [modeName, ...rest] = argv;
  if (modeName === '--help' || modeName === '-h' || modeName === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const mode = modeName === undefined ? undefined : modes[modeName];
  if (mode === undefined || rest.length > 0) {
    process.stderr.write(
      modeName === undefined || mode !== undefined ? usage() : `unknown mode "${modeName}"\n\n${usage()}`,
    );
    return 2;
  }
  applyHeapOptions();
  const { main } = await mode.load();
  await main();
  return 0;
}

/** `run`, printing a failure as its code says (describeFailure) and answering exit code 1. */
export async function runReporting(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    process.stderr.write(`${describeFailure(err)}\n`);
    return 1;
  }
}

const invokedPath = process.argv[1];
// Run only when executed (also through the npm bin symlink), not when imported by tests.
if (invokedPath !== undefined && import.meta.url === pathToFileURL(realpathSync(invokedPath)).href) {
  void runReporting(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}

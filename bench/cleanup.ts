// What a benchmark created (topics, namespaces, experiments, child processes) is deleted at the
// end, whether it finished, failed or was interrupted: each thing is registered right after it
// is created, and run() undoes them newest first, every one even when another fails, then
// names whatever could not be undone. SIGINT and SIGTERM run the same steps before exiting.

export interface CleanupStep {
  readonly what: string;
  readonly undo: () => Promise<unknown> | void;
}

/** The parts of `process` the signal handling uses (a fake in tests). */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never | void;
}

export interface CleanupOptions {
  /** Where signals come from and exit goes to; `undefined`: no signal handling. */
  signals?: SignalTarget;
  /** Where a signal's cleanup reports (stderr by default). */
  report?: (line: string) => void;
}

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export class Cleanup {
  private steps: CleanupStep[] = [];
  private running: Promise<void> | undefined;
  private readonly options: CleanupOptions;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.interrupted(signal);

  constructor(options: CleanupOptions = {}) {
    this.options = options;
    for (const signal of Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[]) {
      options.signals?.on(signal, this.onSignal);
    }
  }

  /** Registers how to undo something just created; the returned function drops the step (already undone). */
  add(what: string, undo: () => Promise<unknown> | void): () => void {
    const step = { what, undo };
    this.steps.push(step);
    return () => {
      this.steps = this.steps.filter((s) => s !== step);
    };
  }

  /** What is still to undo, oldest first. */
  get pending(): string[] {
    return this.steps.map((s) => s.what);
  }

  /**
   * Undoes every registered step, newest first, each once; throws one error naming every step
   * that failed after trying them all. Calls while a run is in progress share it.
   */
  run(): Promise<void> {
    this.running ??= this.undoAll();
    return this.running;
  }

  private async undoAll(): Promise<void> {
    for (const signal of Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[]) {
      this.options.signals?.off(signal, this.onSignal);
    }
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.undo();
      } catch (err) {
        failures.push(`${step.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(`cleanup left these behind (delete them by hand):\n  ${failures.join('\n  ')}`);
    }
  }

  private interrupted(signal: NodeJS.Signals): void {
    const report = this.options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
    const code = SIGNAL_EXIT_CODES[signal] ?? 1;
    report(`${signal}: deleting what the benchmark created (${this.pending.join(', ') || 'nothing'})`);
    this.run().then(
      () => this.options.signals?.exit(code),
      (err: unknown) => {
        report(err instanceof Error ? err.message : String(err));
        this.options.signals?.exit(code);
      },
    );
  }
}

/** A Cleanup that also runs on SIGINT and SIGTERM of this process, then exits 130 or 143. */
export function onCleanup(): Cleanup {
  return new Cleanup({ signals: process });
}

// One container run as a local process: started in its own process group with its output
// appended to a log file, stopped with SIGTERM then SIGKILL after the grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from './container-plan.ts';

export interface Exit {
  /** The process's exit code, or 128 + signal number when a signal ended it (as runtimes report). */
  exitCode: number;
  signal?: NodeJS.Signals;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class ContainerProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private hasExited = false;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid ?? -1;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({
          exitCode: code ?? 128 + (signal !== null ? (SIGNAL_NUMBERS[signal] ?? 0) : 0),
          ...(signal !== null ? { signal } : {}),
        });
      });
    });
  }

  /** Starts the command; rejects when it cannot be spawned at all (e.g. missing binary). */
  static async start(
    command: Command,
    env: Record<string, string>,
    cwd: string,
    logFile: string,
  ): Promise<ContainerProcess> {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = openSync(logFile, 'a');
    try {
      // detached: a process group of its own, so stopping it also stops anything it spawned.
      const child = spawn(command.file, command.args, {
        cwd,
        env,
        stdio: ['ignore', log, log],
        detached: true,
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return new ContainerProcess(child);
    } finally {
      closeSync(log);
    }
  }

  isRunning(): boolean {
    return !this.hasExited;
  }

  /** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
  async stop(graceMs: number): Promise<Exit> {
    if (this.hasExited) return this.exited;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

// What a part of the local stack is: a process the stack runs in the background, or a step it
// makes sure of on every stack:up (objects applied, images built and imported). Each names the
// parts it needs; dependencyOrder turns those names into the one order the stack starts in.
import type { ProcessSpec } from './processes.ts';

interface PartBase {
  name: string;
  /** Parts that must be ready first. */
  needs: readonly string[];
}

/** How to run a process; its identity is the part's. */
export type Launch = Omit<ProcessSpec, 'identity'>;

export interface StackProcess extends PartBase {
  kind: 'process';
  /** A string the process's command line contains (guards against a recycled pid). */
  identity: string;
  /** Ports it listens on (checked free before it starts, and after the stack stops). */
  ports: number[];
  /** Prepares config and data, returns what to run. */
  prepare: () => Launch | Promise<Launch>;
  /** Ready: what the stack waits for after a start, and checks before reusing a running one. */
  healthy: () => Promise<boolean>;
  /** How long a fresh start may take to become healthy. */
  startTimeoutMs: number;
  /** Runs once after a fresh start became healthy (e.g. to create internal state lazily made on first use). */
  warmUp?: () => Promise<void>;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs: number;
  /** Runs before the process is stopped, when it runs (e.g. to release what others left in it). */
  beforeStop?: () => void;
  /** Runs after the process stopped (e.g. to remove what it left, such as iptables rules). */
  afterStop?: () => void;
  /** Optional processes are skipped when `present()` is false (e.g. a stand-in not written yet). */
  present?: () => boolean;
  /**
   * Its command line names the checkout that started it (a script of the repository). A checkout
   * sharing the stack through STACK_LOCAL_DIR reuses the one running rather than restarting it
   * from its own files (and its test teardown stopping it under the others).
   */
  fromCheckout?: boolean;
}

export interface StackStep extends PartBase {
  kind: 'step';
  /** Makes sure of it (ready once it resolves); true when it had to change something. */
  ensure: () => Promise<boolean>;
}

export type StackPart = StackProcess | StackStep;

/**
 * The parts with every part after the parts it needs, otherwise in the order given. Throws on a
 * name given twice, a need that names no part, and a cycle.
 */
export function dependencyOrder<T extends PartBase>(parts: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const part of parts) {
    if (byName.has(part.name)) throw new Error(`the stack declares ${part.name} twice`);
    byName.set(part.name, part);
  }
  const order: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (part: T, path: string[]): void => {
    if (state.get(part.name) === 'done') return;
    if (state.get(part.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(part.name)), part.name];
      throw new Error(`the stack's parts need each other: ${cycle.join(' → ')}`);
    }
    state.set(part.name, 'visiting');
    for (const need of part.needs) {
      const needed = byName.get(need);
      if (needed === undefined)
        throw new Error(`${part.name} needs ${need}, which the stack does not declare`);
      visit(needed, [...path, part.name]);
    }
    state.set(part.name, 'done');
    order.push(part);
  };
  for (const part of parts) visit(part, []);
  return order;
}

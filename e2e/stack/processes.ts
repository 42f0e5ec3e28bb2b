// Background processes of the stack: started detached (own session and process group, so they
// outlive the command that started them), recorded by pid in .local/pids/<name>.pid, stopped by
// that pid's process group (SIGTERM, then SIGKILL), never by name.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { logFile, paths, pidFile } from './paths.ts';

export type ProcessSpec = {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** A string the process's command line must contain for a recorded pid to count as ours. */
  identity: string;
};

export function commandLine(spec: ProcessSpec): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
  return [...env, spec.command, ...spec.args].map((s, i) => (i < env.length ? s : quote(s))).join(' ');
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Where the command line a process was started with is recorded (beside its pid file). */
export function commandFile(name: string): string {
  return pidFile(name).replace(/\.pid$/, '.cmd');
}

/** The command line a running process was started with, if recorded. */
export function recordedCommand(name: string): string | undefined {
  const file = commandFile(name);
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd() : undefined;
}

export function readPid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** The recorded pid of a named process if it is alive and is the one we started. */
export function livePid(name: string, identity: string): number | undefined {
  const pid = readPid(name);
  if (pid === undefined) return undefined;
  const cmdline = cmdlineOf(pid);
  if (cmdline === undefined || !cmdline.includes(identity) || isZombie(pid)) return undefined;
  return pid;
}

/** Starts a process in the background with its output in .local/logs/<name>.log (the previous log kept as .log.1). */
export function startDetached(name: string, spec: ProcessSpec): number {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.pids, { recursive: true });
  const log = logFile(name);
  if (existsSync(log)) renameSync(log, `${log}.1`);
  const fd = openSync(log, 'a');
  writeFileSync(fd, `# ${new Date().toISOString()} ${commandLine(spec)}\n`);
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? paths.local,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${name}: ${commandLine(spec)}`);
    child.unref();
    writeFileSync(pidFile(name), `${child.pid}\n`);
    writeFileSync(commandFile(name), `${commandLine(spec)}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Pids of the processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/** Every live descendant of `pid` (children that started process groups of their own included). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of children.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops the process recorded under `name` and everything in its process group: SIGTERM,
 * then SIGKILL after `graceMs`. Returns whether something was running.
 */
export async function stopProcess(name: string, identity: string, graceMs = 15_000): Promise<boolean> {
  const pid = livePid(name, identity);
  if (pid === undefined) {
    rmSync(pidFile(name), { force: true });
    return false;
  }
  // Processes it started in groups of their own (the process kubelet's pods) are not reached by
  // signalling its group; they are noted now and stopped too if they outlive it.
  const spawned = descendants(pid);
  const alive = () => groupMembers(pid).length > 0 || livePid(name, identity) !== undefined;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) {
    signalGroup(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (alive() && Date.now() < killDeadline) await sleep(100);
  }
  const leftovers = spawned.filter(isAlive);
  if (leftovers.length > 0) {
    for (const child of leftovers) signalGroup(child, 'SIGTERM');
    const childDeadline = Date.now() + 5_000;
    while (leftovers.some(isAlive) && Date.now() < childDeadline) await sleep(100);
    for (const child of leftovers.filter(isAlive)) signalGroup(child, 'SIGKILL');
  }
  rmSync(pidFile(name), { force: true });
  rmSync(commandFile(name), { force: true });
  return true;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (inUse: boolean) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log file)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs `fn` holding the lock file `lock` (its content: the holder's pid). A lock whose holder is
 * gone is taken over; one held by a live process is waited for, up to `timeoutMs`.
 */
export async function withFileLock<T>(lock: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  // The lock appears with its content or not at all (a hard link of a written file): an empty
  // lock file would read as "no holder" and be taken over while its holder is starting things.
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let content = '';
      let age = 0;
      try {
        content = readFileSync(lock, 'utf8').trim();
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      const holder = Number(content || '0');
      // Unreadable content only from an older stack or a crash while writing: stale after a while.
      const stale = holder > 1 ? !isAlive(holder) : age > 10_000;
      if (stale) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder}`);
      await sleep(250);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Whether `pid` is alive and is the process started with `identity` in its command line. */
export function processAlive(pid: number, identity: string): boolean {
  const cmdline = cmdlineOf(pid);
  return cmdline !== undefined && cmdline.includes(identity) && !isZombie(pid);
}

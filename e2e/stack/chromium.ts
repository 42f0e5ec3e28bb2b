// Integration-test support: Debian's headless Chromium driven through the Chrome DevTools
// Protocol over Node's global WebSocket. No browser download, no extra package: the chromium
// package of e2e/stack/debian-packages.txt and a few CDP calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

/** One page of a headless Chromium, with the console messages and CSP violations it reported. */
export class HeadlessPage {
  /** Console messages, log entries and uncaught exceptions, as text with their level. */
  readonly console: { level: string; text: string }[] = [];
  private readonly child: ChildProcess;
  private readonly profile: string;
  private socket!: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: { method: string; resolve: (params: unknown) => void }[] = [];

  private constructor(child: ChildProcess, profile: string) {
    this.child = child;
    this.profile = profile;
  }

  /** Starts Chromium on about:blank and attaches to its page. */
  static async launch(): Promise<HeadlessPage> {
    const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox', // tests run as root, where Chromium's sandbox cannot start
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-extensions',
        '--disable-background-networking',
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        `--user-data-dir=${profile}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const page = new HeadlessPage(child, profile);
    try {
      const browserUrl = await new Promise<string>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`chromium did not start: ${output}`)), 30_000);
        createInterface({ input: child.stderr! }).on('line', (line) => {
          output += `${line}\n`;
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(line);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`chromium exited (${code}): ${output}`));
        });
      });
      const { host } = new URL(browserUrl);
      const targets = (await (await fetch(`http://${host}/json/list`)).json()) as {
        type: string;
        webSocketDebuggerUrl: string;
      }[];
      const target = targets.find((t) => t.type === 'page');
      if (target === undefined) throw new Error('chromium has no page target');
      await page.connect(target.webSocketDebuggerUrl);
      return page;
    } catch (err) {
      await page.close();
      throw err;
    }
  }

  private async connect(url: string): Promise<void> {
    this.socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      this.socket.addEventListener('open', () => resolve(), { once: true });
      this.socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
    });
    this.socket.addEventListener('message', (event) => this.onMessage(String(event.data)));
    await this.send('Runtime.enable');
    await this.send('Log.enable');
    await this.send('Page.enable');
    // Runs before the page's own scripts and outside its CSP: records every violation report.
    await this.send('Page.addScriptToEvaluateOnNewDocument', {
      source: `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
  }

  private onMessage(text: string): void {
    const message = JSON.parse(text) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      params?: Record<string, unknown>;
    };
    if (message.id !== undefined) {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
      return;
    }
    const params = message.params ?? {};
    if (message.method === 'Runtime.consoleAPICalled') {
      const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
      this.console.push({
        level: String(params.type),
        text: args.map((a) => String(a.value ?? a.description ?? '')).join(' '),
      });
    } else if (message.method === 'Log.entryAdded') {
      const entry = params.entry as { level: string; text: string };
      this.console.push({ level: entry.level, text: entry.text });
    } else if (message.method === 'Runtime.exceptionThrown') {
      const details = params.exceptionDetails as { text: string; exception?: { description?: string } };
      this.console.push({ level: 'error', text: details.exception?.description ?? details.text });
    }
    for (const waiter of this.waiters.filter((w) => w.method === message.method)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(params);
    }
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise((resolve) => this.waiters.push({ method: 'Page.loadEventFired', resolve }));
    const { errorText } = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (errorText !== undefined) throw new Error(`cannot load ${url}: ${errorText}`);
    await loaded;
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable results only). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value?: T };
      exceptionDetails?: { text: string };
    }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (exceptionDetails !== undefined) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result.value as T;
  }

  /** The CSP violations the page reported since it loaded. */
  cspViolations(): Promise<string[]> {
    return this.evaluate<string[]>('window.__cspViolations');
  }

  /** A PNG of the whole page, `width` CSS pixels wide. */
  async screenshot(width: number): Promise<Buffer> {
    const height = Math.ceil(await this.evaluate<number>('document.documentElement.scrollHeight'));
    await this.send('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data, 'base64');
  }

  async close(): Promise<void> {
    this.socket?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    // Chromium's helper processes may hold the pipe, and write into the profile, a little longer:
    // do not wait for them, but retry the removal while they finish (ENOTEMPTY otherwise).
    this.child.stderr?.destroy();
    await rm(this.profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

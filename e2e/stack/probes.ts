// How the stack tells that a part of it is ready: an HTTP answer, a unix socket that accepts,
// a broker that answers kafkajs, a Node that reports Ready.
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { binDir, nodeNetwork, paths } from './paths.ts';

const execFileAsync = promisify(execFile);

type HttpResult = { status: number; body: string };

/** GET with a short timeout; https requests trust the stack's CA or, for self-signed ports, anything. */
export function httpGet(
  url: string,
  options: { ca?: Buffer | string; insecure?: boolean; timeoutMs?: number } = {},
): Promise<HttpResult | undefined> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      u,
      {
        method: 'GET',
        timeout: options.timeoutMs ?? 2_000,
        ...(u.protocol === 'https:' ? { ca: options.ca, rejectUnauthorized: options.insecure !== true } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Whether a GET answers 200. */
export async function httpOk(url: string, options: Parameters<typeof httpGet>[1] = {}): Promise<boolean> {
  const result = await httpGet(url, options);
  return result !== undefined && result.status === 200;
}

// kafkajs 2.2.4 schedules a timer with a negative delay when it is not throttled, which Node 24
// reports as a TimeoutNegativeWarning (harmless: Node uses 1 ms instead). The stack's health
// checks would print it on every stack:up; drop that one warning, print every other one.
let warningFilterInstalled = false;
function dropKafkajsTimerWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    if (previous.length === 0)
      process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
    for (const listener of previous) listener(warning);
  });
}

/** Whether the broker answers metadata requests through kafkajs (the client this project uses). */
export async function kafkaHealthy(port: number): Promise<boolean> {
  dropKafkajsTimerWarning();
  const kafka = new Kafka({
    clientId: 'stack-health',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Makes the broker create its consumer-offsets and transaction-state topics now rather than on
 * the first consumer group or transactional producer (kafkajs logs "coordinator is not
 * available / loading" errors and retries while that happens).
 */
export async function warmUpKafka(port: number, timeoutMs = 60_000): Promise<void> {
  dropKafkajsTimerWarning();
  const kafka = new Kafka({
    clientId: 'stack-warm-up',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 }, // an idempotent producer needs retries
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        // DescribeGroups first finds the group's coordinator, which needs __consumer_offsets.
        await admin.describeGroups(['stack-warm-up']);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  // An empty transaction, begun and aborted, finds (and so creates) the transaction coordinator.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const producer = kafka.producer({
      transactionalId: 'stack-warm-up',
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
      const transaction = await producer.transaction();
      await transaction.abort();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }
}

/** Whether something accepts connections on a unix socket. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether the stack's Node reports Ready. */
export async function nodeReady(): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync(join(binDir(), 'kubectl'), [
      '--kubeconfig',
      paths.kubeconfig,
      'get',
      'node',
      nodeNetwork.nodeName,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    return stdout.trim() === 'True';
  } catch {
    return false;
  }
}

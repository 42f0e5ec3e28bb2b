// The local Prometheus scrapes what the stack's file_sd targets name: a tiny HTTP server started
// here is reported up, and its metric is queryable.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomSuffix, useStack } from './harness.ts';
import type { StackHandle } from './harness.ts';
import { addScrapeTarget, removeScrapeTarget } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stack: StackHandle;

beforeAll(async () => {
  stack = await useStack();
}, 120_000);

afterAll(async () => {
  await stack.cleanup();
}, 120_000);

type TargetsResponse = {
  data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
};
type QueryResponse = { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

test('Prometheus reports a scrape target up', async () => {
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE stack_test_answer gauge\nstack_test_answer 42\n');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stack.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  const job = `stack-test-${randomSuffix()}`;
  addScrapeTarget(job, [`127.0.0.1:${port}`], { purpose: 'integration-test' });
  stack.onCleanup(() => removeScrapeTarget(job));

  const deadline = Date.now() + 60_000;
  let health = 'missing';
  while (Date.now() < deadline) {
    const targets = await getJson<TargetsResponse>(`${stack.prometheusUrl}/api/v1/targets?state=active`);
    const target = targets.data.activeTargets.find((t) => t.labels.job === job);
    health = target === undefined ? 'missing' : `${target.health} ${target.lastError}`.trim();
    if (target?.health === 'up') break;
    await sleep(500);
  }
  expect(health).toBe('up');

  const query = encodeURIComponent(`stack_test_answer{job="${job}"}`);
  let values: string[] = [];
  while (Date.now() < deadline && values.length === 0) {
    const result = await getJson<QueryResponse>(`${stack.prometheusUrl}/api/v1/query?query=${query}`);
    values = result.data.result.map((r) => r.value[1]);
    if (values.length === 0) await sleep(500);
  }
  expect(values).toEqual(['42']);

  const up = await getJson<QueryResponse>(
    `${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(`up{job="${job}"}`)}`,
  );
  expect(up.data.result.map((r) => [r.metric.purpose, r.value[1]])).toEqual([['integration-test', '1']]);
}, 120_000);

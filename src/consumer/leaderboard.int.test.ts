// The leaderboard in a real browser: Debian's headless Chromium (driven over the DevTools
// Protocol) loads the page of a consumer running as a local process against the local stack's
// Kafka and API server, for a real experiment. The chart must show one mark per voice with the
// status's figures, follow new ratings as they are counted, and run under the page's CSP without
// a single violation. Set LEADERBOARD_SCREENSHOT=<file.png> to keep a screenshot of the page.
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import kafkajs, { type Admin, type Kafka as KafkaClient } from 'kafkajs';
import { HeadlessPage } from '../../e2e/stack/chromium.ts';
import { eventually } from '../../e2e/stack/eventually.ts';
import { createRatingExperiment, installRatingsCrd } from '../../e2e/stack/harness.ts';
import { ModeProcess, podKubeconfig } from '../../e2e/stack/mode-process.ts';
import { readStackEnv, repoRoot, type StackEnv } from '../../e2e/stack/stack.ts';
import {
  CRD_NAME,
  GROUP,
  PLURAL,
  VERSION,
  type RatingExperiment,
  type RatingExperimentStatus,
} from '../api/v1alpha1.ts';
import { meanInterval } from '../ratings/statistics.ts';

const { Kafka, logLevel } = kafkajs;

const CATALOG = {
  // A name a spreadsheet would run: the CSV export must neutralise it.
  voices: [
    'Darth Vader',
    'Macho Man',
    'Stephen Hawking',
    'Big Bird',
    '=HYPERLINK("http://x","x")',
    'Santa "Co", Ltd',
  ],
  battles: ['Adam vs Eve', 'Mozart vs Skrillex', 'Gandalf vs Dumbledore', 'Nikola Tesla vs Thomas Edison'],
  scale: ['Hated', 'Meh', 'Liked', 'Loved', 'Adored'],
};

/** Ratings whose means differ by voice, so that the chart has something to rank. */
function ratings(count: number, seed: number): { key: string; value: string }[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => {
    const a = Math.floor(next() * CATALOG.voices.length);
    const b = (a + 1 + Math.floor(next() * (CATALOG.voices.length - 1))) % CATALOG.voices.length;
    const lean = (a + b) / (2 * (CATALOG.voices.length - 1));
    const rating = Math.min(
      CATALOG.scale.length - 1,
      Math.floor((lean + next()) * 0.5 * CATALOG.scale.length),
    );
    const battle = CATALOG.battles[Math.floor(next() * CATALOG.battles.length)]!;
    const value = JSON.stringify({
      v: 1,
      id: randomUUID(),
      battle,
      voices: [CATALOG.voices[a], CATALOG.voices[b]],
      rating,
      researcher: 'browser-test',
      ratedAt: new Date().toISOString(),
    });
    return { key: battle, value };
  });
}

interface Mark {
  voice: string;
  mean: number;
  count: number;
  low?: number;
  high?: number;
}

const MARKS = `[...document.querySelectorAll('#voices g.voice')].map((g) => ({
  voice: g.dataset.voice, mean: Number(g.dataset.mean), count: Number(g.dataset.count),
  ...(g.dataset.low === undefined ? {} : { low: Number(g.dataset.low), high: Number(g.dataset.high) }),
}))`;

/** The marks the status calls for, in the chart's order (mean, then count, then name). */
function expectedMarks(status: RatingExperimentStatus): Mark[] {
  return (status.totals ?? [])
    .map((t) => {
      const interval = meanInterval(t.count, t.sum, t.squares!);
      return { voice: t.voice, mean: t.mean, count: t.count, low: interval!.low, high: interval!.high };
    })
    .sort((a, b) => b.mean - a.mean || b.count - a.count || (a.voice < b.voice ? -1 : 1));
}

function sameMarks(shown: Mark[], expected: Mark[]): boolean {
  const close = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9;
  return (
    shown.length === expected.length &&
    shown.every(
      (m, i) =>
        m.voice === expected[i]!.voice &&
        m.count === expected[i]!.count &&
        close(m.mean, expected[i]!.mean) &&
        close(m.low, expected[i]!.low) &&
        close(m.high, expected[i]!.high),
    )
  );
}

/** Whether the CRD the API server serves now keeps status.totals[].squares (else it prunes them). */
async function installedSchemaHasSquares(kubeconfigPath: string): Promise<boolean> {
  const kube = new KubeConfig();
  kube.loadFromFile(kubeconfigPath);
  const crd = await kube.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: CRD_NAME });
  const totals = crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.status?.properties?.totals;
  return totals?.items?.properties?.squares !== undefined;
}

describe('the leaderboard in a headless browser', () => {
  let stack: StackEnv;
  let kubeConfig: KubeConfig;
  let kafka: KafkaClient;
  let admin: Admin;
  let namespace: string;
  let topic: string;
  let consumer: ModeProcess | undefined;
  let page: HeadlessPage | undefined;
  let credentials: string | undefined;

  beforeAll(async () => {
    stack = readStackEnv();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.KUBECONFIG);
    kafka = new Kafka({
      clientId: 'leaderboard-int-test',
      brokers: [stack.KAFKA_BOOTSTRAP_SERVERS],
      logLevel: logLevel.WARN,
    });
    admin = kafka.admin();
    await admin.connect();
    await installRatingsCrd(stack.KUBECONFIG);
  });

  afterAll(async () => {
    await page?.close();
    await consumer?.stop('SIGKILL');
    if (namespace !== undefined)
      await kubeConfig.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    if (topic !== undefined) await admin.deleteTopics({ topics: [topic] });
    if (credentials !== undefined) await rm(dirname(credentials), { recursive: true, force: true });
    await admin?.disconnect();
  });

  it('charts each voice with the status figures, follows new ratings, and breaks no CSP rule', async () => {
    const name = 'pictures';
    namespace = `leaderboard-${randomUUID().slice(0, 8)}`;
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    topic = `${namespace}-${name}`;
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const experiment = await createRatingExperiment(
      kubeConfig,
      { namespace, name },
      {
        topic: { name: topic, partitions: 2 },
        ...CATALOG,
        consumer: { replicas: 1, checkpointIntervalSeconds: 1 },
      },
    );
    credentials = await podKubeconfig(kubeConfig, experiment, stack.KAFKA_BOOTSTRAP_SERVERS);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const produce = (count: number, seed: number) =>
      producer.send({ topic, acks: -1, messages: ratings(count, seed) });
    const read = async () =>
      (
        (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL,
          name,
        })) as RatingExperiment
      ).status ?? {};
    const counted = (records: number) =>
      eventually(
        `the status counting ${records} ratings`,
        async () => {
          const status = await read();
          return status.counted === records ? status : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );

    try {
      // Three records to reject first, in the partition of their key: once 400 ratings are
      // counted, they are too.
      await producer.send({
        topic,
        acks: -1,
        messages: ['not a rating', 'Adam vs Eve|Big Bird|Elvis|1', 'Adam vs Eve|Big Bird|Macho Man|9'].map(
          (value) => ({ key: 'invalid', value }),
        ),
      });
      await produce(400, 1);
      consumer = new ModeProcess('consumer', `${name}-consumer-0`, {
        KUBECONFIG: credentials,
        EXPERIMENT_NAMESPACE: namespace,
        EXPERIMENT_NAME: name,
        KAFKA_BOOTSTRAP_SERVERS: stack.KAFKA_BOOTSTRAP_SERVERS,
        KAFKA_TOPIC: topic,
      });
      const url = `http://127.0.0.1:${await consumer.port}/`;
      const first = await counted(400);
      expect(first.rejected).toBe(3);
      // Every voice's spread was kept, so every voice has an interval. The stack is shared: a
      // checkout with an older CRD that applies it prunes the squares from the status.
      const served = await installedSchemaHasSquares(stack.KUBECONFIG);
      expect({ squaresInStatus: first.totals?.every((t) => t.squares !== undefined), served }).toEqual({
        squaresInStatus: true,
        served: true,
      });

      page = await HeadlessPage.launch();
      await page.goto(url);
      const firstMarks = await eventually(
        'one mark per voice with the figures of the status',
        async () => {
          const shown = await page!.evaluate<Mark[]>(MARKS);
          return sameMarks(shown, expectedMarks(first)) ? shown : undefined;
        },
        { timeoutMs: 20_000 },
      );
      expect(firstMarks).toHaveLength(CATALOG.voices.length);
      expect(await page.evaluate<string>(`document.querySelector('.note').textContent`)).toContain(
        'Student t 95% interval',
      );
      expect(await page.evaluate<number>(`document.querySelectorAll('#battles g.battle').length`)).toBe(
        first.battles?.length,
      );

      // More ratings: the page follows without a reload.
      await produce(600, 2);
      const second = await counted(1000);
      const secondMarks = await eventually(
        'the marks following the new status',
        async () => {
          const shown = await page!.evaluate<Mark[]>(MARKS);
          return sameMarks(shown, expectedMarks(second)) ? shown : undefined;
        },
        { timeoutMs: 20_000 },
      );
      expect(secondMarks.map((m) => m.count)).not.toEqual(firstMarks.map((m) => m.count));
      // The CSV export: the formula name as text (OWASP's rule: a leading '), its figures as numbers.
      const csv = await (await fetch(`${url}api/totals?format=csv`)).text();
      expect(csv).toMatch(/\r\n"voice","'=HYPERLINK\(""http:\/\/x"",""x""\)",\d+,\d+,/);
      expect(csv).not.toMatch(/(^|,)"[=+\-@\t\r]/m);
      // Two checkpoints seen apart: a rate is drawn.
      await eventually(
        'a counted rate in the rates chart',
        async () =>
          (await page!.evaluate<number>(
            `Number(document.querySelector('#rates polyline.counted')?.dataset.points ?? 0)`,
          )) > 0 || undefined,
        { timeoutMs: 20_000 },
      );
      expect(await page.evaluate<string>(`document.getElementById('problems').textContent`)).toBe(
        `${second.rejected ?? 0} rejected · ${second.lost ?? 0} lost`,
      );

      expect(await page.cspViolations()).toEqual([]);
      expect(page.console.filter((c) => c.level === 'error' || c.level === 'warning')).toEqual([]);

      const screenshot = process.env.LEADERBOARD_SCREENSHOT;
      if (screenshot !== undefined) {
        // A few more rounds, a few seconds apart, so that the rates chart has a shape to show.
        for (let round = 0; round < 4; round++) {
          await produce(150 + 100 * round, 3 + round);
          await new Promise((r) => setTimeout(r, 3_000));
        }
        const last = await counted(1000 + 150 * 4 + 100 * 6);
        await eventually(
          'the page showing the last status',
          async () => sameMarks(await page!.evaluate<Mark[]>(MARKS), expectedMarks(last)) || undefined,
        );
        const file = resolve(repoRoot, screenshot);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, await page.screenshot(820));
      }

      // The check above can fail: an inline script is refused and reported.
      await page.evaluate(
        `(() => { const s = document.createElement('script'); s.textContent = 'window.ran = true'; document.body.append(s); })()`,
      );
      await eventually(
        'the violation reported',
        async () => (await page!.cspViolations()).length > 0 || undefined,
        {
          timeoutMs: 5_000,
        },
      );
      expect(await page.evaluate<boolean>('window.ran === true')).toBe(false);
    } finally {
      await producer.disconnect();
    }
  });
});

// `ratings-operator producer` as a real child process against the local stack's API server and
// Kafka broker: what it writes to the topic, what its HTTP intake answers, how it starts, fails
// and stops.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { eventually } from '../../e2e/stack/eventually.ts';
import {
  createExperimentWithTopic,
  mergePatchRatingExperiment,
  readTopic,
  useStack,
  type StackHandle,
} from '../../e2e/stack/harness.ts';
import { repoRoot } from '../../e2e/stack/stack.ts';
import { catalogFromSpec } from '../ratings/catalog.ts';
import { parseRecord } from '../ratings/rating.ts';

let stack: StackHandle;
/** `producer-it-<random>`, also the topic's name. */
let namespace: string;
const name = 'erb';
const catalogSpec = {
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'],
  battles: ['Adam vs Eve', 'Zeus vs Thor'],
  scale: ['Hated', 'Meh', 'Liked'],
};
const catalog = catalogFromSpec(catalogSpec);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

interface Producer {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function runProducer(env: Record<string, string>): Omit<Producer, 'port'> {
  const child = spawn(process.execPath, [join(repoRoot, 'src', 'cli.ts'), 'producer'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startProducer(overrides: Record<string, string> = {}): Promise<Producer> {
  const port = await freePort();
  const producer = runProducer({
    KUBECONFIG: stack.env.KUBECONFIG,
    EXPERIMENT_NAMESPACE: namespace,
    EXPERIMENT_NAME: name,
    KAFKA_BOOTSTRAP_SERVERS: stack.kafkaBootstrap,
    KAFKA_TOPIC: namespace,
    PORT: String(port),
    POD_NAME: `producer-${namespace}`,
    EXPERIMENT_POLL_SECONDS: '1',
    ...overrides,
  });
  await eventually(
    'the producer to listen',
    async () => {
      if (producer.child.exitCode !== null) throw new Error(`producer exited:\n${producer.output()}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return { ...producer, port };
}

const url = (producer: Producer, path: string) => `http://127.0.0.1:${producer.port}${path}`;

async function post(producer: Producer, body: string, contentType = 'application/json') {
  const res = await fetch(url(producer, '/api/ratings'), {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const good = { battle: 'Zeus vs Thor', voices: ['Beyoncé', 'Joan of Arc'], rating: 2, researcher: 'Dr. Ada' };
let producer: Producer;
let messages: KafkaMessage[];

beforeAll(async () => {
  stack = await useStack();
  await stack.installRatingsCrd();
  namespace = await stack.newNamespace('producer-it');
  await createExperimentWithTopic(
    stack,
    { namespace, name },
    { topic: { name: namespace, partitions: 3 }, producer: { ratingsPerSecond: 50 }, ...catalogSpec },
  );
  messages = await readTopic(stack, namespace);
  producer = await startProducer();
  stack.onCleanup(() => void producer.child.kill('SIGKILL'));
  await eventually('the producer to be ready', async () =>
    (await fetch(url(producer, '/readyz'))).ok ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await stack?.cleanup();
}, 60_000);

describe('ratings-operator producer', () => {
  it('writes generated ratings as JSON v1 records keyed by battle', async () => {
    const generated = await eventually('20 generated ratings', () => {
      const sims = messages.filter((m) => m.value?.toString().includes('"researcher":"sim-'));
      return sims.length >= 20 ? sims : undefined;
    });
    for (const message of generated) {
      const parsed = parseRecord(message.value, catalog);
      expect(parsed).toMatchObject({ ok: true });
      const rating = JSON.parse(message.value!.toString()) as Record<string, unknown>;
      expect(Object.keys(rating)).toEqual(['v', 'id', 'battle', 'voices', 'rating', 'researcher', 'ratedAt']);
      expect(rating.v).toBe(1);
      expect(rating.researcher).toMatch(/^sim-\d+$/);
      expect(message.key?.toString()).toBe(rating.battle);
    }
  });

  it('answers 400 with every reason for bad bodies, and for non-JSON', async () => {
    expect(
      await post(producer, JSON.stringify({ ...good, voices: ['Beyoncé', 'Beyoncé'], rating: 7 })),
    ).toEqual({
      status: 400,
      body: {
        error: 'invalid rating',
        reasons: [
          'the two voices must differ, got "Beyoncé" twice',
          'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
        ],
      },
    });
    expect(await post(producer, JSON.stringify({ ...good, battle: 'Cats vs Dogs', extra: 1 }))).toEqual({
      status: 400,
      body: {
        error: 'invalid rating',
        reasons: ['unexpected field "extra"', 'unknown battle "Cats vs Dogs"'],
      },
    });
    expect(await post(producer, JSON.stringify({ voices: ['Elmo', 'Beyoncé'] }))).toEqual({
      status: 400,
      body: {
        error: 'invalid rating',
        reasons: [
          'battle is required',
          'unknown voice "Elmo"',
          'rating is required',
          'researcher is required',
        ],
      },
    });
    expect(await post(producer, '{"battle": ')).toEqual({
      status: 400,
      body: { error: 'invalid rating', reasons: ['body is not valid JSON'] },
    });
    expect(await post(producer, 'Zeus vs Thor|Beyoncé|Joan of Arc|2', 'text/plain')).toEqual({
      status: 400,
      body: {
        error: 'invalid rating',
        reasons: ['body must be a JSON object {battle, voices, rating, researcher}'],
      },
    });
  });

  it('answers 202 with the id of a good rating, which is then in the topic', async () => {
    const { status, body } = await post(producer, JSON.stringify(good));
    expect(status).toBe(202);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    // Acknowledged means written: the record is there as soon as the reader catches up.
    const message = await eventually('the posted rating in the topic', () =>
      messages.find((m) => m.value?.toString().includes(`"id":"${String(body.id)}"`)),
    );
    expect(message.key?.toString()).toBe('Zeus vs Thor');
    expect(JSON.parse(message.value!.toString())).toMatchObject({ v: 1, id: body.id, ...good });
  });

  it('shows recent ratings on / with labels, escaped', async () => {
    const html = await (await fetch(url(producer, '/'))).text();
    expect(html).toContain('<td>Zeus vs Thor</td><td>Beyoncé</td><td>Joan of Arc</td><td>Liked</td>');
  });

  it('follows a change of ratingsPerSecond without a restart', async () => {
    const targetRate = async () =>
      new RegExp(
        `^ratings_producer_target_rate\\{experiment="${name}",experiment_namespace="${namespace}"\\} (\\S+)$`,
        'm',
      ).exec(await (await fetch(url(producer, '/metrics'))).text())?.[1];
    expect(await targetRate()).toBe('50');
    await mergePatchRatingExperiment(
      stack.kubeConfig,
      { namespace, name },
      { spec: { producer: { ratingsPerSecond: 0 } } },
    );
    await eventually('the new rate', async () => ((await targetRate()) === '0' ? true : undefined));
    // Intake only now: the generated count stops moving while HTTP still works.
    const generated = () => messages.filter((m) => m.value?.toString().includes('"researcher":"sim-')).length;
    await sleep(1000);
    const before = generated();
    await sleep(1500);
    expect(generated()).toBe(before);
    expect((await post(producer, JSON.stringify(good))).status).toBe(202);
  });

  it('on SIGTERM loses no acknowledged rating and exits 0', async () => {
    // Researchers keep posting while the producer is told to stop, so some ratings are in
    // flight at SIGTERM; each must end as 202 and written, or as a refusal.
    const answers: ({ status: number; body: Record<string, unknown> } | undefined)[] = [];
    const researcher = async () => {
      for (;;) {
        const answer = await post(producer, JSON.stringify(good)).catch(() => undefined);
        answers.push(answer);
        if (answer === undefined) return;
      }
    };
    const researchers = Array.from({ length: 8 }, researcher);
    await eventually('a first accepted rating', () =>
      answers.some((a) => a?.status === 202) ? true : undefined,
    );
    producer.child.kill('SIGTERM');
    expect(await producer.exited).toBe(0);
    await Promise.all(researchers);

    const accepted = answers.filter((a) => a?.status === 202).map((a) => String(a!.body.id));
    expect(accepted.length).toBeGreaterThan(0);
    await eventually('every acknowledged rating in the topic', () => {
      const ids = new Set(messages.map((m) => (JSON.parse(m.value!.toString()) as { id: string }).id));
      return accepted.every((id) => ids.has(id)) ? true : undefined;
    });
    for (const answer of answers) expect([202, 503, undefined]).toContain(answer?.status);
  });
});

describe('ratings-operator producer, failing', () => {
  it('exits non-zero listing every configuration problem', async () => {
    const run = runProducer({ KUBECONFIG: stack.env.KUBECONFIG, EXPERIMENT_NAME: 'erb', PORT: 'eighty' });
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toContain('EXPERIMENT_NAMESPACE is required');
    expect(run.output()).toContain('PORT must be an integer in [0, 65535], got "eighty"');
  });

  it('exits non-zero when the experiment does not exist', async () => {
    const run = runProducer({
      KUBECONFIG: stack.env.KUBECONFIG,
      EXPERIMENT_NAMESPACE: namespace,
      EXPERIMENT_NAME: 'missing',
      KAFKA_BOOTSTRAP_SERVERS: stack.kafkaBootstrap,
    });
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toContain(`RatingExperiment ${namespace}/missing not found`);
  });

  it('answers 503 and is not ready while Kafka is unreachable', async () => {
    const unreachable = await startProducer({ KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${await freePort()}` });
    try {
      const ready = await fetch(url(unreachable, '/readyz'));
      expect(ready.status).toBe(503);
      expect(await ready.text()).toBe('not ready: connecting to Kafka\n');
      expect(await post(unreachable, JSON.stringify(good))).toEqual({
        status: 503,
        body: { error: 'not accepting ratings: connecting to Kafka' },
      });
    } finally {
      unreachable.child.kill('SIGTERM');
      expect(await unreachable.exited).toBe(0);
    }
  });
});

describe('ratings-operator producer, generating on threads (spec.producer.workers)', () => {
  const threaded = 'erb-threads';
  const topic = () => `${namespace}.threads`;
  let records: KafkaMessage[];
  let pod: Producer;
  const simulated = () => records.filter((m) => m.value?.toString().includes('"researcher":"sim-'));
  const metric = async (series: string) => {
    const text = await (await fetch(url(pod, '/metrics'))).text();
    return Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const labels = () => `experiment="${threaded}",experiment_namespace="${namespace}"`;

  beforeAll(async () => {
    await createExperimentWithTopic(
      stack,
      { namespace, name: threaded },
      {
        topic: { name: topic(), partitions: 3 },
        producer: { ratingsPerSecond: 200, workers: 2 },
        ...catalogSpec,
      },
    );
    records = await readTopic(stack, topic());
    pod = await startProducer({ EXPERIMENT_NAME: threaded, KAFKA_TOPIC: topic(), PRODUCER_WORKERS: '2' });
    stack.onCleanup(() => void pod.child.kill('SIGKILL'));
  }, 120_000);

  it('generates at the rate on its threads and counts what they sent in its own metrics', async () => {
    await eventually('the threads generating', () => (simulated().length > 0 ? true : undefined));
    const start = simulated().length;
    await sleep(3000);
    // 200/s for 3 s: the threads' shares add up to the rate (generous bounds: a shared machine).
    expect(simulated().length - start).toBeGreaterThan(300);
    expect(simulated().length - start).toBeLessThan(1000);
    for (const message of simulated().slice(-50))
      expect(parseRecord(message.value, catalog)).toMatchObject({ ok: true });
    expect(await metric(`ratings_producer_target_rate{${labels()}}`)).toBe(200);
    await eventually('the threads reported into the pod metrics', async () =>
      (await metric(`ratings_producer_produced_total{source="generated",${labels()}}`)) >= start + 300
        ? true
        : undefined,
    );
    expect(pod.output()).toContain('"generatingThreads":2');
  });

  it('passes rate and catalog changes on to its threads without a restart, and its intake still answers', async () => {
    await mergePatchRatingExperiment(
      stack.kubeConfig,
      { namespace, name: threaded },
      { spec: { voices: [...catalogSpec.voices, 'Ada Lovelace'], producer: { ratingsPerSecond: 100 } } },
    );
    await eventually('the new rate', async () =>
      (await metric(`ratings_producer_target_rate{${labels()}}`)) === 100 ? true : undefined,
    );
    await eventually('ratings of the new voice', () =>
      simulated().some((m) => m.value?.toString().includes('Ada Lovelace')) ? true : undefined,
    );
    expect((await post(pod, JSON.stringify(good))).status).toBe(202);
  });

  it('on SIGTERM stops its threads, flushing what they sent, and exits 0', async () => {
    pod.child.kill('SIGTERM');
    expect(await pod.exited).toBe(0);
    expect(pod.output()).not.toMatch(/"level":(50|60)/);
  });
});

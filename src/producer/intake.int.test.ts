// The producer's HTTP intake beyond single ratings, against the local stack's API server and
// Kafka broker with the producer (and, for idempotency, a consumer) as real processes: load
// shedding under a real overload, bulk imports, and retries under an Idempotency-Key counted once.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KafkaMessage } from 'kafkajs';
import { GROUP, PLURAL, VERSION, type RatingExperiment } from '../api/v1alpha1.ts';
import { eventually } from '../../e2e/stack/eventually.ts';
import { createExperimentWithTopic, readTopic, useStack, type StackHandle } from '../../e2e/stack/harness.ts';
import { ModeProcess, podEnv, startProducer } from '../../e2e/stack/mode-process.ts';

let stack: StackHandle;
/** `intake-it-<random>`: every experiment of the suite is in it, its topic named after both. */
let namespace: string;
const catalogSpec = {
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'],
  battles: ['Adam vs Eve', 'Zeus vs Thor'],
  scale: ['Hated', 'Meh', 'Liked'],
};
const good = { battle: 'Zeus vs Thor', voices: ['Beyoncé', 'Joan of Arc'], rating: 2, researcher: 'Dr. Ada' };

/** An experiment of its own (topic, no generated ratings) with a producer process on it. */
async function experimentWithProducer(name: string, env: Record<string, string> = {}) {
  const topic = `${namespace}-${name}`;
  const experiment = await createExperimentWithTopic(
    stack,
    { namespace, name },
    { topic: { name: topic, partitions: 3 }, producer: { ratingsPerSecond: 0 }, ...catalogSpec },
  );
  const producer = await startProducer(stack, experiment, `${name}-producer`, { env });
  const base = `http://127.0.0.1:${await producer.port}`;
  const messages = await readTopic(stack, topic);
  return { experiment, producer, base, messages };
}

/**
 * The value of the series `name` whose labels include `label` (e.g. `endpoint="single"`), whatever
 * other labels the registry adds (the experiment's); undefined when there is none.
 */
function sample(metrics: string, name: string, label = ''): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    if (label === '' || (match[2] ?? '').split(',').includes(label)) return Number(match[3]);
  }
  return undefined;
}

const idOf = (m: KafkaMessage) => (JSON.parse(m.value!.toString()) as { id: string }).id;

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await useStack();
  await stack.installRatingsCrd();
  namespace = await stack.newNamespace('intake-it');
});

afterAll(async () => {
  await stack?.cleanup();
}, 60_000);

describe('the intake under overload', () => {
  it('sheds what exceeds INTAKE_MAX_PENDING with 503 and Retry-After, counts it, and writes every accepted rating', async () => {
    const exp = await experimentWithProducer('shed', { INTAKE_MAX_PENDING: '4' });
    // 400 researchers at once against room for 4 unacknowledged ratings: a real overload.
    const answers = await Promise.all(
      Array.from({ length: 400 }, () => post(`${exp.base}/api/ratings`, JSON.stringify(good))),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const shed = answers.filter((a) => a.status === 503);
    expect(accepted.length + shed.length).toBe(400);
    expect(accepted.length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    for (const answer of shed) {
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body.error).toMatch(/^overloaded: 4 ratings are waiting for Kafka/);
    }
    const metrics = await exp.producer.get('/metrics');
    expect(sample(metrics, 'ratings_producer_shed_requests_total', 'endpoint="single"')).toBe(shed.length);
    expect(sample(metrics, 'ratings_producer_intake_pending_ratings', 'endpoint="single"')).toBe(0);
    const ids = accepted.map((a) => String(a.body.id));
    await eventually('every accepted rating in the topic', () =>
      exp.messages.length >= ids.length ? true : undefined,
    );
    expect(new Set(exp.messages.map(idOf))).toEqual(new Set(ids));
  });
});

describe('bulk import', () => {
  it('takes a valid NDJSON or JSON batch whole, refuses a batch with a bad line whole, and bounds its size', async () => {
    const exp = await experimentWithProducer('bulk', {
      INTAKE_BULK_MAX_RATINGS: '2000',
      INTAKE_BULK_MAX_BYTES: '400000',
    });
    const url = `${exp.base}/api/ratings/bulk`;
    const lines = Array.from({ length: 2000 }, (_, i) => ({ ...good, rating: i % 3, researcher: `r-${i}` }));

    const ndjson = await post(url, lines.map((l) => JSON.stringify(l)).join('\n'), {
      'content-type': 'application/x-ndjson',
    });
    expect(ndjson.status).toBe(202);
    expect(ndjson.body.ids).toHaveLength(2000);
    expect(ndjson.body.duplicates).toBe(0);
    const array = await post(url, JSON.stringify(lines.slice(0, 10)));
    expect(array.status).toBe(202);
    const ids = [...(ndjson.body.ids as string[]), ...(array.body.ids as string[])];
    await eventually('the imported ratings in the topic', () =>
      exp.messages.length >= 2010 ? true : undefined,
    );
    expect(new Set(exp.messages.map(idOf))).toEqual(new Set(ids));

    const bad = await post(
      url,
      JSON.stringify([good, { ...good, rating: 7 }, { ...good, voices: ['Elmo', 'Beyoncé'] }]),
    );
    expect(bad).toMatchObject({
      status: 400,
      body: {
        error: '2 of 3 ratings are invalid; none was taken',
        rejected: [
          { line: 2, reasons: ['rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)'] },
          { line: 3, reasons: ['unknown voice "Elmo"'] },
        ],
      },
    });
    expect((await post(url, '[{"battle":')).status).toBe(400);
    expect(await post(url, JSON.stringify([...lines, good]))).toMatchObject({
      status: 413,
      body: { error: '2001 ratings in one request; at most 2000' },
    });
    const huge = await post(url, JSON.stringify([{ ...good, researcher: 'x'.repeat(500_000) }]));
    expect(huge.status).toBe(413);
    // A marker after the refused batches: once it is in, nothing of theirs came before it.
    const marker = await post(url, JSON.stringify([{ ...good, researcher: 'marker' }]));
    expect(marker.status).toBe(202);
    await eventually('the marker in the topic', () => (exp.messages.length >= 2011 ? true : undefined));
    expect(exp.messages).toHaveLength(2011);
  });
});

describe('idempotent retries', () => {
  it('counts a rating retried under the same key once, through producer and consumer', async () => {
    const exp = await experimentWithProducer('retry');
    const consumer = new ModeProcess(
      'consumer',
      'retry-consumer',
      await podEnv(stack.kubeConfig, exp.experiment, stack.kafkaBootstrap),
    );
    stack.onCleanup(async () => void (await consumer.stop('SIGKILL')));
    const key = `import-${namespace}-1`;
    const single = `${exp.base}/api/ratings`;
    // A client that timed out and retried, twice at once and once more later, and the same rating
    // once again inside a bulk import, by its id.
    const first = await Promise.all([
      post(single, JSON.stringify(good), { 'idempotency-key': key }),
      post(single, JSON.stringify(good), { 'idempotency-key': key }),
    ]);
    const again = await post(single, JSON.stringify(good), { 'idempotency-key': key });
    const bulk = await post(
      `${exp.base}/api/ratings/bulk`,
      JSON.stringify([
        { ...good, id: key },
        { ...good, rating: 0 },
      ]),
    );
    const other = await post(single, JSON.stringify(good));
    expect(first.map((a) => a.status)).toEqual([202, 202]);
    expect(first.map((a) => a.body.id)).toEqual([key, key]);
    expect(first.filter((a) => a.body.duplicate === true)).toHaveLength(1);
    expect(again).toMatchObject({ status: 202, body: { id: key, duplicate: true } });
    expect(bulk).toMatchObject({ status: 202, body: { duplicates: 1 } });
    expect((bulk.body.ids as string[])[0]).toBe(key);
    expect(other.status).toBe(202);

    // The same key for a different rating is refused, not taken as a retry.
    const misuse = await post(single, JSON.stringify({ ...good, rating: 1 }), { 'idempotency-key': key });
    expect(misuse.status).toBe(409);
    expect((await post(single, JSON.stringify(good), { 'idempotency-key': 'has space' })).status).toBe(400);

    // Written once, with the key in a header; counted once by the consumer: 3 ratings in all.
    await eventually('three records in the topic', () => (exp.messages.length >= 3 ? true : undefined));
    const keyed = exp.messages.filter((m) => idOf(m) === key);
    expect(keyed).toHaveLength(1);
    expect(keyed[0]!.headers?.['idempotency-key']?.toString()).toBe(key);
    const api = stack.kubeConfig.makeApiClient(CustomObjectsApi);
    const status = await eventually('the consumer to count every record', async () => {
      const { status } = (await api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name: 'retry',
      })) as RatingExperiment;
      return status?.counted === 3 ? status : undefined;
    });
    expect(status.counted).toBe(3);
    expect(exp.messages).toHaveLength(3);
    const metrics = await exp.producer.get('/metrics');
    expect(sample(metrics, 'ratings_producer_idempotent_duplicates_total')).toBe(3);
  });
});

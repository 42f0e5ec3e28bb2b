// CheckpointWriter against the local stack's API server: a stale consumer cannot move a
// checkpoint backwards, concurrent writers all land (409s retried), and the controller's status
// fields survive.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { createRatingExperiment } from '../../e2e/stack/harness.ts';
import { kubectlPath, readStackEnv } from '../../e2e/stack/stack.ts';
import {
  GROUP,
  PLURAL,
  VERSION,
  crdPath,
  type PartitionCheckpoint,
  type RatingExperiment,
} from '../api/v1alpha1.ts';
import { fromStored } from '../ratings/stored-checkpoint.ts';
import { computeTotals } from '../ratings/totals.ts';
import { KubeClient } from '../common/kube-client.ts';
import { loadCredentials } from '../common/kube-credentials.ts';
import type { EndOffsets } from './status-update.ts';
import { CheckpointWriter as Writer, type NamespacedName } from './status-writer.ts';

/** A checkpoint as stored (and as these tests expect to read it back). */
const checkpoint = (partition: number, offset: number): PartitionCheckpoint => ({
  partition,
  offset,
  // Totals that grow with the offset, so that a regression would show in them too.
  sums: { 'Big Bird': 2 * offset, 'Joan of Arc': offset },
  counts: { 'Big Bird': offset, 'Joan of Arc': offset },
  rejected: 0,
  lost: 0,
});

/** The writer of one consumer, offered checkpoints in their stored form, of no incarnation in particular. */
class CheckpointWriter {
  private readonly writer: Writer;

  constructor(kube: KubeClient, ref: NamespacedName) {
    this.writer = new Writer(kube, ref);
  }

  write(mine: PartitionCheckpoint[], endOffsets: EndOffsets | undefined, topicId?: string) {
    const catalog = new Set(['Big Bird', 'Joan of Arc']);
    return this.writer.write(mine.map(fromStored), { topicId, endOffsets, catalog });
  }
}

describe('CheckpointWriter on the local stack', () => {
  let kubeConfig: KubeConfig;
  let api: CustomObjectsApi;
  let kube: KubeClient;
  let namespace: string;

  beforeAll(async () => {
    const stack = readStackEnv();
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.KUBECONFIG);
    api = kubeConfig.makeApiClient(CustomObjectsApi);
    kube = new KubeClient(loadCredentials({ KUBECONFIG: stack.KUBECONFIG }));
    const kubectl = (...args: string[]) =>
      promisify(execFile)(kubectlPath(), ['--kubeconfig', stack.KUBECONFIG, ...args]);
    await kubectl(
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=consumer-int-test',
      '-f',
      crdPath(),
    );
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', '-f', crdPath());
    namespace = `checkpoint-${randomUUID().slice(0, 8)}`;
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    if (namespace !== undefined)
      await kubeConfig.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  async function experiment(name: string): Promise<NamespacedName> {
    await createRatingExperiment(kubeConfig, { namespace, name });
    return { namespace, name };
  }

  const read = async (ref: NamespacedName) =>
    (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      ...ref,
    })) as RatingExperiment;

  it('never lets a stale consumer move a checkpoint or the totals backwards', async () => {
    const ref = await experiment('stale');
    const current = new CheckpointWriter(kube, ref);
    const stale = new CheckpointWriter(kube, ref);
    await current.write([checkpoint(0, 1000), checkpoint(1, 500)], new Map([[0, 1000]]));
    const before = (await read(ref)).status;

    // The stale consumer lost partition 0 long ago but still holds an old snapshot of it; its
    // partition 1 is ahead of the status and is taken.
    const result = await stale.write([checkpoint(0, 10), checkpoint(1, 600)], undefined);
    expect(result.written).toBe(true);
    const after = (await read(ref)).status;
    expect(after?.partitions).toEqual([checkpoint(0, 1000), checkpoint(1, 600)]);
    expect(after?.totals).toEqual(computeTotals([checkpoint(0, 1000), checkpoint(1, 600)]).totals);
    expect(after?.counted).toBe(1600);
    expect(after?.produced).toBe(before?.produced);

    // Nothing newer at all: no write.
    const version = (await read(ref)).metadata?.resourceVersion;
    const again = await stale.write([checkpoint(0, 10), checkpoint(1, 20)], undefined);
    expect(again.written).toBe(false);
    const unchanged = await read(ref);
    expect(unchanged.metadata?.resourceVersion).toBe(version);
    expect(unchanged.status?.partitions).toEqual([checkpoint(0, 1000), checkpoint(1, 600)]);
  });

  it('lands every concurrent write, retrying conflicts, and keeps the highest offset of each partition', async () => {
    const ref = await experiment('racing');
    const offers = Array.from({ length: 12 }, (_, i) => [
      checkpoint(i % 3, 100 + i * 7),
      checkpoint(3, 1000 - i),
    ]);
    const results = await Promise.all(
      offers.map((mine) => new CheckpointWriter(kube, ref).write(mine, undefined)),
    );
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
    expect((await read(ref)).status?.partitions).toEqual([
      checkpoint(0, 100 + 9 * 7),
      checkpoint(1, 100 + 10 * 7),
      checkpoint(2, 100 + 11 * 7),
      checkpoint(3, 1000),
    ]);
  });

  it('leaves the controller fields of the status as they are', async () => {
    const ref = await experiment('fields');
    const live = await read(ref);
    const conditions = [
      {
        type: 'Ready',
        status: 'False' as const,
        reason: 'TopicPending',
        message: 'waiting',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ];
    await api.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      ...ref,
      body: {
        ...live,
        status: { observedGeneration: 1, conditions, topic: 't', bootstrapServers: 'k:9092' },
      },
    });
    await new CheckpointWriter(kube, ref).write([checkpoint(0, 5)], new Map([[0, 8]]));
    expect((await read(ref)).status).toMatchObject({
      observedGeneration: 1,
      conditions,
      topic: 't',
      bootstrapServers: 'k:9092',
      partitions: [checkpoint(0, 5)],
      produced: 8,
      lag: 3,
    });
  });

  it('stores voices named like Object.prototype members and emoji as voices, through the API server', async () => {
    const ref = await experiment('names');
    const voices = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'Joan 🎤 of Arc'];
    const sums = Object.create(null) as Record<string, number>;
    const counts = Object.create(null) as Record<string, number>;
    voices.forEach((voice, i) => {
      sums[voice] = i + 1;
      counts[voice] = 2;
    });
    const result = await new Writer(kube, ref).write(
      [fromStored({ partition: 0, topicId: 'T', offset: 3, sums, counts })],
      { topicId: 'T', endOffsets: new Map([[0, 3]]), catalog: new Set(voices) },
    );
    expect(result.written).toBe(true);
    const { status } = await read(ref);
    expect(Object.keys(status!.partitions![0]!.sums!).sort()).toEqual([...voices].sort());
    expect(new Map(status!.totals!.map((t) => [t.voice, t.sum]))).toEqual(
      new Map(voices.map((voice, i) => [voice, i + 1])),
    );
    expect(status?.counted).toBe(voices.length);
  });
});

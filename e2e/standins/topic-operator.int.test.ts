// The topic-operator stand-in as the stack runs it, against the real API server and broker.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import kafkajs, { type Admin } from 'kafkajs';
import { randomSuffix, useStack, type StackHandle } from '../stack/harness.ts';
import { eventually } from '../stack/eventually.ts';
import { fetchTopicId } from '../../src/common/kafka-metadata.ts';
import { resources } from '../../src/common/kube-resources.ts';
import { TOPIC_FINALIZER, type KafkaTopic } from './kafka-topic.ts';

const { ConfigResourceTypes } = kafkajs;
const { group, version, plural } = resources.kafkaTopic;
const coordinates = { group, version, plural };

let stack: StackHandle;
let api: CustomObjectsApi;
let admin: Admin;
let namespace: string;

beforeAll(async () => {
  stack = await useStack();
  api = stack.kubeConfig.makeApiClient(CustomObjectsApi);
  admin = await stack.kafkaAdmin();
  namespace = await stack.newNamespace('standin-topics');
});

afterAll(() => stack.cleanup());

async function create(name: string, spec: KafkaTopic['spec']): Promise<void> {
  await api.createNamespacedCustomObject({
    ...coordinates,
    namespace,
    body: {
      apiVersion: `${group}/${version}`,
      kind: 'KafkaTopic',
      metadata: { name, labels: { 'strimzi.io/cluster': 'kafka' } },
      spec,
    },
  });
}

async function read(name: string): Promise<KafkaTopic | undefined> {
  try {
    return (await api.getNamespacedCustomObject({ ...coordinates, namespace, name })) as KafkaTopic;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function ready(kt: KafkaTopic | undefined) {
  return kt?.status?.conditions?.find((c) => c.type === 'Ready');
}

async function partitionsOf(topic: string): Promise<number | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length;
}

describe('topic-operator stand-in', () => {
  it('creates the topic, grows its partitions, and deletes it with the KafkaTopic', async () => {
    const topic = `standin-${randomSuffix()}`;
    await create('ratings', {
      topicName: topic,
      partitions: 2,
      replicas: 1,
      config: { 'retention.ms': 3_600_000 },
    });

    const created = await eventually('KafkaTopic Ready=True', async () => {
      const kt = await read('ratings');
      return ready(kt)?.status === 'True' ? kt : undefined;
    });
    expect(created.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(created.status).toMatchObject({ observedGeneration: 1, topicName: topic });
    // Kafka's topic ID, as Strimzi reports it: what Kafka itself answers for the topic.
    const topicId = await fetchTopicId(topic, { brokers: [stack.kafkaBootstrap], clientId: 'test' });
    expect(topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(created.status?.topicId).toBe(topicId);
    expect(await partitionsOf(topic)).toBe(2);
    const configs = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('3600000');

    await api.patchNamespacedCustomObject(
      { ...coordinates, namespace, name: 'ratings', body: { spec: { partitions: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('4 partitions in Kafka', async () => (await partitionsOf(topic)) === 4);
    await eventually(
      'generation 2 observed',
      async () => (await read('ratings'))?.status?.observedGeneration === 2,
    );

    await api.deleteNamespacedCustomObject({ ...coordinates, namespace, name: 'ratings' });
    await eventually('the KafkaTopic gone', async () => (await read('ratings')) === undefined);
    expect(await admin.listTopics()).not.toContain(topic);
    expect(await fetchTopicId(topic, { brokers: [stack.kafkaBootstrap], clientId: 'test' })).toBeUndefined();

    // Created again under the same name: a new incarnation, a new ID.
    await create('ratings', { topicName: topic, partitions: 2, replicas: 1 });
    const recreated = await eventually('KafkaTopic Ready=True again', async () => {
      const kt = await read('ratings');
      return ready(kt)?.status === 'True' ? kt : undefined;
    });
    expect(recreated.status?.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(recreated.status?.topicId).not.toBe(topicId);
    expect(recreated.status?.topicId).toBe(
      await fetchTopicId(topic, { brokers: [stack.kafkaBootstrap], clientId: 'test' }),
    );
    await api.deleteNamespacedCustomObject({ ...coordinates, namespace, name: 'ratings' });
    await eventually('the KafkaTopic gone again', async () => (await read('ratings')) === undefined);
  }, 120_000);

  it('reports Kafka refusing the topic as Ready=False with the reason', async () => {
    const topic = `standin-${randomSuffix()}`;
    await create('too-many-replicas', { topicName: topic, partitions: 1, replicas: 3 });
    const condition = await eventually('Ready=False', async () => {
      const c = ready(await read('too-many-replicas'));
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.reason).toBe('KafkaError');
    expect(condition.message).toMatch(/INVALID_REPLICATION_FACTOR/);
    expect(await admin.listTopics()).not.toContain(topic);

    // Deleting a KafkaTopic whose topic never existed must not hang on the finalizer.
    await api.deleteNamespacedCustomObject({ ...coordinates, namespace, name: 'too-many-replicas' });
    await eventually('the KafkaTopic gone', async () => (await read('too-many-replicas')) === undefined);
  }, 120_000);

  it('gives a topic name to the first KafkaTopic asking for it and reports the conflict on the second', async () => {
    const topic = `standin-${randomSuffix()}`;
    await create('first', { topicName: topic, partitions: 1, replicas: 1 });
    await eventually('first Ready', async () => ready(await read('first'))?.status === 'True');
    await create('second', { topicName: topic, partitions: 1, replicas: 1 });
    const condition = await eventually('second refused', async () => {
      const c = ready(await read('second'));
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.reason).toBe('ResourceConflict');

    await api.deleteNamespacedCustomObject({ ...coordinates, namespace, name: 'second' });
    await eventually('second gone', async () => (await read('second')) === undefined);
    expect(await admin.listTopics()).toContain(topic); // the owner's topic survives
  }, 120_000);

  it('writes nothing while nothing changes, across a periodic resync', async () => {
    await create('steady', { topicName: `standin-${randomSuffix()}`, partitions: 1, replicas: 1 });
    await eventually('Ready', async () => ready(await read('steady'))?.status === 'True');
    // The events of its own first writes (finalizer, status) may still be on their way: let them land.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const first = (await read('steady'))!;
    await new Promise((resolve) => setTimeout(resolve, 35_000)); // the stand-in resyncs every 30 s
    expect((await read('steady'))?.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  }, 120_000);
});

// The local Kafka 4.x broker works with kafkajs: 10,000 records through a consumer group all
// come back, each exactly once.
import type { Consumer, Producer } from 'kafkajs';
import { randomSuffix, useStack } from './harness.ts';
import type { StackHandle } from './harness.ts';

let stack: StackHandle;

beforeAll(async () => {
  stack = await useStack();
}, 120_000);

afterAll(async () => {
  await stack.cleanup();
}, 120_000);

test('10,000 records go through a consumer group and all come back', async () => {
  const admin = await stack.kafkaAdmin();
  const topic = `stack-test-${randomSuffix()}`;
  const total = 10_000;
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  stack.onCleanup(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });

  const producer: Producer = stack.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  stack.onCleanup(() => producer.disconnect());
  const batch = 500;
  for (let start = 0; start < total; start += batch) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: batch }, (_, i) => ({
        key: String(start + i),
        value: `record-${start + i}`,
      })),
    });
  }

  const consumer: Consumer = stack.kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000 });
  await consumer.connect();
  stack.onCleanup(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });

  const received: string[] = [];
  const partitions = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length} of ${total} records came back`)),
      90_000,
    );
    consumer
      .run({
        eachBatch: async ({ batch: b, resolveOffset, heartbeat }) => {
          partitions.add(b.partition);
          for (const message of b.messages) {
            received.push(message.value?.toString() ?? '');
            resolveOffset(message.offset);
          }
          await heartbeat();
          if (received.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });

  expect(received).toHaveLength(total);
  const expected = new Set(Array.from({ length: total }, (_, i) => `record-${i}`));
  expect(new Set(received)).toEqual(expected);
  expect(partitions.size).toBe(3);

  // The group committed its position: the offsets add up to every record.
  await consumer.disconnect();
  const offsets = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
  const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  expect(committed).toBe(total);
}, 120_000);

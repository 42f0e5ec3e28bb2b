// The KRaft cluster id is passed to kafka-storage as an argument: one that starts with '-' is
// read as an option and the format fails (seen once in 64 starts).
import { newKafkaClusterId } from './parts.ts';

test('a new Kafka cluster id never starts with "-" and is 16 bytes of URL-safe base64', () => {
  // Enough draws that an id starting with '-' (1 in 64) would appear many times over.
  for (let i = 0; i < 1_000; i++) {
    const id = newKafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});

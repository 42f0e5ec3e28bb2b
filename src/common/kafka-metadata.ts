// Kafka's topic IDs, which kafkajs 2.2.4 cannot tell (its Metadata request stops at v6): one
// Metadata v12 request (KIP-516 topic IDs, flexible encoding) over a short-lived connection.
//
// A topic ID names one incarnation of a topic: a topic deleted and created again under the same
// name gets a new ID. Strimzi reports the same value as KafkaTopic status.topicId, in Kafka's
// own text form (Uuid.toString(): the 16 bytes in unpadded base64url).
//
// Wire format (Kafka protocol guide, Metadata API key 3, version 12; request header v2, response
// header v1, both with tagged fields):
//   request  => [topics] allow_auto_topic_creation include_topic_authorized_operations TAG_BUFFER
//     topics => topic_id(UUID) name(COMPACT_NULLABLE_STRING) TAG_BUFFER
//   response => throttle_time_ms [brokers] cluster_id controller_id [topics] TAG_BUFFER
//     brokers => node_id host(COMPACT_STRING) port rack(COMPACT_NULLABLE_STRING) TAG_BUFFER
//     topics  => error_code name(COMPACT_NULLABLE_STRING) topic_id(UUID) is_internal
//                [partitions] topic_authorized_operations TAG_BUFFER
//     partitions => error_code partition_index leader_id leader_epoch [replica_nodes]
//                   [isr_nodes] [offline_replicas] TAG_BUFFER
// Brokers from Kafka 3.1 (the first with v12) answer it; Strimzi supports no older Kafka.
import { connect, type Socket } from 'node:net';
import { codedError } from './errors.ts';

const METADATA_API_KEY = 3;
const METADATA_VERSION = 12;
/** Kafka's "no ID" value, sent to ask by name and answered for a topic without an ID. */
const ZERO_UUID = Buffer.alloc(16);

/** What Kafka says of one topic. */
export type TopicMetadata =
  | { name: string; found: true; topicId: string; partitions: number }
  | { name: string; found: false; errorCode: number };

/** No usable answer from the brokers this time: the caller asks again later. */
export class KafkaMetadataError extends codedError('RATINGS_KAFKA_METADATA_FAILED', {
  errorClass: 'transient',
}) {}

/** Kafka's text form of a topic ID (org.apache.kafka.common.Uuid#toString). */
export function formatTopicId(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** A Metadata v12 request for `topics` by name, framed (size prefix included). */
export function encodeMetadataRequest(correlationId: number, clientId: string, topics: readonly string[]) {
  const w = new Writer();
  w.int16(METADATA_API_KEY).int16(METADATA_VERSION).int32(correlationId);
  w.nullableString(clientId).tags();
  w.uvarint(topics.length + 1);
  for (const topic of topics) w.bytes(ZERO_UUID).compactString(topic).tags();
  // Never create a topic by asking about it; no authorized operations.
  w.int8(0).int8(0).tags();
  const body = w.done();
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Decodes a Metadata v12 response body (after the size prefix). */
export function decodeMetadataResponse(
  body: Buffer,
  correlationId: number,
): { correlationId: number; topics: TopicMetadata[] } {
  const r = new Reader(body);
  const answered = r.int32();
  if (answered !== correlationId) {
    throw new KafkaMetadataError(`response for request ${answered}, expected ${correlationId}`);
  }
  r.skipTags();
  r.int32(); // throttle_time_ms
  for (let brokers = r.compactLength(); brokers > 0; brokers--) {
    r.int32();
    r.compactString();
    r.int32();
    r.compactString();
    r.skipTags();
  }
  r.compactString(); // cluster_id
  r.int32(); // controller_id
  const topics: TopicMetadata[] = [];
  for (let count = r.compactLength(); count > 0; count--) {
    const errorCode = r.int16();
    const name = r.compactString() ?? '';
    const id = r.bytes(16);
    r.int8(); // is_internal
    let partitions = 0;
    for (let p = r.compactLength(); p > 0; p--) {
      r.int16();
      r.int32();
      r.int32();
      r.int32();
      for (let arrays = 0; arrays < 3; arrays++) r.skip(4 * r.compactLength());
      r.skipTags();
      partitions++;
    }
    r.int32(); // topic_authorized_operations
    r.skipTags();
    topics.push(
      errorCode === 0 && !id.equals(ZERO_UUID)
        ? { name, found: true, topicId: formatTopicId(id), partitions }
        : { name, found: false, errorCode },
    );
  }
  r.skipTags();
  return { correlationId, topics };
}

export interface TopicIdOptions {
  brokers: readonly string[];
  clientId: string;
  /** The whole request, connection included, per broker tried. */
  timeoutMs?: number;
}

/**
 * Asks the brokers, in order until one answers, what incarnation each topic is. Rejects with a
 * KafkaMetadataError when none answers in time; never creates a topic.
 */
export async function fetchTopicMetadata(
  topics: readonly string[],
  options: TopicIdOptions,
): Promise<Map<string, TopicMetadata>> {
  const failures: string[] = [];
  for (const broker of options.brokers) {
    try {
      const { topics: answered } = await request(broker, topics, options);
      return new Map(answered.map((t) => [t.name, t]));
    } catch (err) {
      failures.push(`${broker}: ${(err as Error).message}`);
    }
  }
  throw new KafkaMetadataError(`no broker answered a Metadata request: ${failures.join('; ')}`);
}

/** The current topic ID of `topic`, undefined when Kafka has no such topic. */
export async function fetchTopicId(topic: string, options: TopicIdOptions): Promise<string | undefined> {
  const answer = (await fetchTopicMetadata([topic], options)).get(topic);
  return answer?.found === true ? answer.topicId : undefined;
}

let nextCorrelationId = 1;

function request(broker: string, topics: readonly string[], options: TopicIdOptions) {
  const separator = broker.lastIndexOf(':');
  const host = broker.slice(0, separator);
  const port = Number(broker.slice(separator + 1));
  const correlationId = nextCorrelationId++ & 0x7fffffff;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise<ReturnType<typeof decodeMetadataResponse>>((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(
      () => finish(new KafkaMetadataError(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (err: Error | undefined, value?: ReturnType<typeof decodeMetadataResponse>) => {
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve(value!);
    };
    socket.on('connect', () => socket.write(encodeMetadataRequest(correlationId, options.clientId, topics)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        finish(undefined, decodeMetadataResponse(received.subarray(4, 4 + size), correlationId));
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new KafkaMetadataError('connection closed before an answer')));
  });
}

class Writer {
  private readonly parts: Buffer[] = [];

  int8(v: number): this {
    return this.push(Buffer.from([v & 0xff]));
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }

  uvarint(v: number): this {
    const out: number[] = [];
    let rest = v >>> 0;
    while (rest >= 0x80) {
      out.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    out.push(rest);
    return this.push(Buffer.from(out));
  }

  bytes(b: Buffer): this {
    return this.push(b);
  }

  /** INT16 length + UTF-8 (the request header's client_id). */
  nullableString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).push(b);
  }

  /** UVARINT length + 1, then UTF-8. */
  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).push(b);
  }

  /** An empty tagged-field section. */
  tags(): this {
    return this.uvarint(0);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
}

class Reader {
  private offset = 0;
  private readonly buf: Buffer;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const byte = this.buf[this.offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new KafkaMetadataError('malformed varint in the Metadata response');
  }

  /** A compact array's element count (0 for a null array). */
  compactLength(): number {
    return Math.max(0, this.uvarint() - 1);
  }

  compactString(): string | undefined {
    const length = this.uvarint() - 1;
    if (length < 0) return undefined;
    return this.bytes(length).toString('utf8');
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  skip(n: number): void {
    this.bytes(n);
  }

  skipTags(): void {
    for (let fields = this.uvarint(); fields > 0; fields--) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new KafkaMetadataError('truncated Metadata response');
    }
  }
}

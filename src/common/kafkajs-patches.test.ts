// The install-time patches of kafkajs (patches/kafkajs.mjs). Each one is checked against kafkajs
// as shipped, rebuilt here by undoing the patches in a copy: the same bytes on the wire, the same
// groups, the same checksums; and the negative timeout no longer warns. kafkajs is loaded from
// both roots with createRequire, or in child processes where Node's own warnings are the output.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
// @ts-expect-error: plain JavaScript without declarations (it runs before anything is built)
import { PATCHES } from '../../patches/kafkajs.mjs';

interface Patch {
  name: string;
  file: string;
  original: string;
  patched: string;
}

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
const script = join(repo, 'patches', 'kafkajs.mjs');
const patches = PATCHES as Patch[];

const temp = mkdtempSync(join(tmpdir(), 'kafkajs-patch-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A copy of the installed kafkajs under a fresh root, every patch undone: kafkajs as shipped. */
function shippedCopy(name: string): string {
  const root = join(temp, name);
  cpSync(join(repo, 'node_modules', 'kafkajs'), join(root, 'node_modules', 'kafkajs'), { recursive: true });
  for (const patch of patches) {
    const file = join(root, patch.file);
    writeFileSync(file, readFileSync(file, 'utf8').replace(patch.patched, patch.original));
  }
  return root;
}

const shipped = shippedCopy('shipped');
/** A kafkajs module from the installed (patched) tree and from the shipped copy. */
function bothVersions<T>(path: string): { patched: T; shipped: T } {
  const module = join('node_modules', 'kafkajs', 'src', path);
  return {
    patched: createRequire(join(repo, 'package.json'))(join(repo, module)) as T,
    shipped: createRequire(join(shipped, 'package.json'))(join(shipped, module)) as T,
  };
}

describe('kafkajs patches: installation', () => {
  it('are all applied to the installed kafkajs', () => {
    for (const patch of patches) {
      const text = readFileSync(join(repo, patch.file), 'utf8');
      expect({ patch: patch.name, applied: text.includes(patch.patched) }).toEqual({
        patch: patch.name,
        applied: true,
      });
    }
  });

  it('apply to kafkajs as shipped, and a second install changes nothing', async () => {
    const root = shippedCopy('install');
    const first = await run(process.execPath, [script], { cwd: root });
    expect(first.stdout).toBe(`patched kafkajs: ${patches.map((p) => p.name).join(', ')}\n`);
    const again = await run(process.execPath, [script], { cwd: root });
    expect(again.stdout).toBe('');
    for (const patch of patches) {
      expect(readFileSync(join(root, patch.file), 'utf8')).toBe(readFileSync(join(repo, patch.file), 'utf8'));
    }
  });

  it('fail the install with a clear message when kafkajs no longer has a passage', async () => {
    const root = shippedCopy('upgraded');
    const grouping = patches.find((p) => p.name === 'linear-grouping')!;
    const file = join(root, grouping.file);
    writeFileSync(file, readFileSync(file, 'utf8').replace(grouping.original, '  return {}\n'));
    await expect(run(process.execPath, [script], { cwd: root })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /groupMessagesPerPartition\.js does not have the passage that patch 'linear-grouping' expects \(kafkajs was upgraded\?\)/,
      ),
    });
  });
});

describe('kafkajs patches: the negative timeout', () => {
  const queueFile = join('node_modules', 'kafkajs', 'src', 'network', 'requestQueue', 'index.js');
  /**
   * Loads kafkajs' RequestQueue from `root`, schedules the pending-requests check the way a fresh
   * connection does (nothing pending, never throttled), and emits one real warning: returns stderr.
   */
  async function stderrOfQueue(root: string): Promise<string> {
    const program = `
      const RequestQueue = require(${JSON.stringify(join(root, queueFile))});
      const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 't', broker: 'b', logger: { debug() {}, warn() {}, error() {} } });
      queue.scheduleCheckPendingRequests();
      process.emitWarning('a real warning stays visible');
      setTimeout(() => clearTimeout(queue.throttleCheckTimeoutId), 50);
    `;
    const { stderr } = await run(process.execPath, ['-e', program]);
    return stderr;
  }

  it('as shipped prints TimeoutNegativeWarning; patched it does not, and real warnings still show', async () => {
    expect(await stderrOfQueue(shipped)).toMatch(/TimeoutNegativeWarning: -\d+ is a negative number/);
    const stderr = await stderrOfQueue(repo);
    expect(stderr).not.toMatch(/TimeoutNegativeWarning/);
    expect(stderr).toMatch(/Warning: a real warning stays visible/);
  });
});

type Headers = Record<string, string | Buffer | (string | Buffer)[]>;
interface Message {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Headers;
  timestamp: number;
}

/** Messages covering what the encoder meets: text of every width, Buffers, nulls, header arrays, large values. */
function messages(count: number, seed: number): Message[] {
  const texts = [
    '',
    'plain',
    'quote " and \\ backslash',
    'émoji 🎧 and 中文',
    'lone \ud800 surrogate',
    'x'.repeat(700),
  ];
  return Array.from({ length: count }, (_, i) => {
    const n = i + seed;
    const text = texts[n % texts.length]!;
    const headers: Headers | undefined =
      n % 4 === 0
        ? undefined
        : n % 4 === 1
          ? { 'ratings.catalog-generation': String(n) }
          : n % 4 === 2
            ? { one: Buffer.from([n % 256, 0, 255]), many: ['a', text, Buffer.from(text)] }
            : { empty: '' };
    return {
      key: n % 5 === 0 ? null : n % 5 === 1 ? Buffer.from(`key-${n}`) : `battle ${text.slice(0, 20)}`,
      value:
        n % 7 === 0 ? null : n % 7 === 1 ? Buffer.from(text) : `{"n":${n},"text":${JSON.stringify(text)}}`,
      ...(headers === undefined ? {} : { headers }),
      timestamp: 1_764_400_000_000 + (n % 3) * 1_000 + n,
    };
  });
}

type ProduceRequest = (args: object) => { encode: () => Promise<{ buffer: Buffer }> };

describe('kafkajs patches: the same bytes as kafkajs as shipped', () => {
  const produce = bothVersions<ProduceRequest>('protocol/requests/produce/v3/request.js');
  const request = (compression: number) => ({
    acks: -1,
    timeout: 30_000,
    producerEpoch: 3,
    compression,
    topicData: [
      {
        topic: 'ratings-a',
        partitions: [
          { partition: 0, firstSequence: 0, messages: messages(1, 0) },
          { partition: 1, firstSequence: 17, messages: messages(600, 1) },
        ],
      },
      { topic: 'ratings-ü', partitions: [{ partition: 2, firstSequence: 5, messages: messages(42, 9) }] },
    ],
  });

  it.each([
    ['uncompressed', 0],
    ['gzip', 1],
  ])('encodes a produce request (%s) byte for byte as shipped', async (_, compression) => {
    const patched = (await produce.patched(request(compression)).encode()).buffer;
    const shippedBytes = (await produce.shipped(request(compression)).encode()).buffer;
    expect(patched.length).toBeGreaterThan(compression === 0 ? 60_000 : 5_000);
    expect(patched.equals(shippedBytes)).toBe(true);
  });

  it('groups messages by partition as shipped, in order', () => {
    type Group = (args: object) => Record<string, Message[]>;
    const group = bothVersions<Group>('producer/groupMessagesPerPartition.js');
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 }));
    const partitioner = ({ message }: { message: Message }) => (message.timestamp * 7) % 4;
    const args = { topic: 't', partitionMetadata, messages: messages(1_000, 3), partitioner };
    const patched = group.patched(args);
    expect(patched).toEqual(group.shipped(args));
    expect(Object.keys(patched)).toEqual(['0', '1', '2', '3']);
    expect(group.patched({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('computes CRC32C as shipped for every length and offset', () => {
    const crc = bothVersions<(buffer: Buffer) => number>('protocol/recordBatch/crc32C/crc32C.js');
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) % 256));
    for (let start = 0; start < 9; start++) {
      for (let length = 0; length < 100; length++) {
        const slice = bytes.subarray(start, start + length);
        expect(crc.patched(slice)).toBe(crc.shipped(slice));
      }
    }
    // The check value of CRC-32C (Castagnoli) for the ASCII digits 1 to 9.
    expect(crc.patched(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

type RecordBatchEncoder = (args: object) => Promise<{ buffer: Buffer }>;
type RecordEncoder = (args: object) => unknown;
type RecordBatchDecoder = (decoder: unknown) => Promise<{ records: object[] }>;

describe('kafkajs patches: the same records decoded as kafkajs as shipped', () => {
  const { shipped: Long } = bothVersions<{ fromValue: (v: unknown) => unknown }>('utils/long.js');
  const encodeBatch = bothVersions<{ RecordBatch: RecordBatchEncoder }>('protocol/recordBatch/v0/index.js')
    .shipped.RecordBatch;
  const { shipped: encodeRecord } = bothVersions<RecordEncoder>('protocol/recordBatch/record/v0/index.js');
  const decode = bothVersions<RecordBatchDecoder>('protocol/recordBatch/v0/decoder.js');
  const Decoder = bothVersions<new (buffer: Buffer) => unknown>('protocol/decoder.js');

  /** A batch at `firstOffset`/`firstTimestamp` of records with these deltas (any size, any sign). */
  async function batch(
    firstOffset: string,
    firstTimestamp: string,
    deltas: [bigint, number][],
  ): Promise<Buffer> {
    const records = deltas.map(([timestampDelta, offsetDelta], i) =>
      encodeRecord({
        offsetDelta,
        timestampDelta: Long.fromValue(timestampDelta),
        key: i % 2 === 0 ? `battle ${i}` : null,
        value: `{"n":${i}}`,
        headers: i % 3 === 0 ? { 'ratings.catalog-generation': String(i), twice: ['a', 'b'] } : {},
      }),
    );
    return (
      await encodeBatch({
        firstOffset: Long.fromValue(firstOffset),
        firstTimestamp: Long.fromValue(firstTimestamp),
        maxTimestamp: Long.fromValue(firstTimestamp),
        lastOffsetDelta: deltas.length - 1,
        records,
      })
    ).buffer;
  }

  const deltas: [bigint, number][] = [
    [0n, 0],
    [1n, 1],
    [-1n, 2],
    [63n, 3],
    [-64n, 4],
    [64n, 5],
    [8_191n, 6],
    [1_000_000n, 7],
    [2n ** 48n - 1n, 8], // seven bytes of varint, the longest read without BigInt
    [2n ** 48n, 9],
    [-(2n ** 48n), 10],
    [2n ** 53n + 7n, 11], // past what a double holds exactly
    [-(2n ** 62n), 12],
    [2n ** 63n - 1n, 2 ** 31 - 1],
  ];

  it.each([
    ['an ordinary batch', '1234567', '1764400000000'],
    ['offset 0, timestamp 0', '0', '0'],
    ['no timestamp (-1)', '0', '-1'],
    ['offsets and timestamps near 2^53', String(2 ** 53 - 5), String(2 ** 53 - 3)],
    ['offsets and timestamps beyond 2^53', String(2n ** 60n), String(-(2n ** 60n))],
    ['the extremes of int64', String(2n ** 63n - 1n), String(-(2n ** 63n))],
  ])('decodes %s as shipped', async (_, firstOffset, firstTimestamp) => {
    const bytes = await batch(firstOffset, firstTimestamp, deltas);
    const patched = await decode.patched(new Decoder.patched(bytes));
    const asShipped = await decode.shipped(new Decoder.shipped(bytes));
    expect(patched.records).toHaveLength(deltas.length);
    expect(patched).toEqual(asShipped);
  });

  it('decodes log-append-time batches as shipped (every record has the batch time)', async () => {
    const bytes = await batch('42', '1764400000000', deltas);
    // Attributes (int16 at byte 21): the timestamp-type bit; the decoder does not check the CRC.
    bytes[22]! |= 0x08;
    const patched = await decode.patched(new Decoder.patched(bytes));
    expect(patched).toEqual(await decode.shipped(new Decoder.shipped(bytes)));
    expect(new Set(patched.records.map((r) => (r as { timestamp: string }).timestamp))).toEqual(
      new Set(['1764400000000']),
    );
  });
});

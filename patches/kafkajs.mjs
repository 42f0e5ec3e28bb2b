// The changes this project carries to kafkajs 2.2.4, applied by `npm install` / `npm ci` (the
// postinstall script of package.json), also in the image's build stage. kafkajs has had no release
// since 2.2.4, so fixes cannot come from upstream. Each patch replaces one exact passage of the
// shipped source and marks its replacement; the install fails with a clear message when a passage
// is missing (kafkajs was upgraded: check upstream, then update or drop the patch). Plain
// JavaScript, no dependencies: it runs before anything else is built.
// Why each one exists, with the profile behind it: bench/results/2026-11-29.md ("kafkajs, patched at install").
// What proves each one: src/common/kafkajs-patches.test.ts (the same bytes or results as shipped).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MARK = '// patched by patches/kafkajs.mjs';
const source = (...parts) => join('node_modules', 'kafkajs', 'src', ...parts);

export const PATCHES = [
  {
    // RequestQueue.scheduleCheckPendingRequests passes `throttledUntil - Date.now()` to setTimeout
    // when nothing is pending; throttledUntil starts at -1, so that is minus a timestamp, and
    // since Node 24 every process printed "TimeoutNegativeWarning". Clamped at 0, which Node runs
    // as 1 ms: the same behaviour, without the warning.
    name: 'negative-timeout',
    file: source('network', 'requestQueue', 'index.js'),
    original: '      }, scheduleAt)\n',
    patched: `      }, Math.max(0, scheduleAt)) ${MARK}\n`,
  },
  {
    // Grouping a produce request's messages by partition copied the partition's array for every
    // message: quadratic in the request size (5.5% of the producer's CPU at 1,000 per request).
    name: 'linear-grouping',
    file: source('producer', 'groupMessagesPerPartition.js'),
    original: [
      '  return messages.reduce((result, message) => {',
      '    const partition = partitioner({ topic, partitionMetadata, message })',
      '    const current = result[partition] || []',
      '    return Object.assign(result, { [partition]: [...current, message] })',
      '  }, {})',
      '',
    ].join('\n'),
    patched: [
      `  ${MARK}: appends in place`,
      '  const result = {}',
      '  for (const message of messages) {',
      '    const partition = partitioner({ topic, partitionMetadata, message })',
      '    if (result[partition] === undefined) result[partition] = []',
      '    result[partition].push(message)',
      '  }',
      '  return result',
      '',
    ].join('\n'),
  },
  {
    // Every Encoder started with a zero-filled Buffer.alloc of 512 bytes, and every record has
    // its own Encoder: Buffer.alloc costs about 2 µs on this project's machines against 0.1 µs
    // for a slice of Node's pool (Buffer.allocUnsafe). Safe because an Encoder writes only at its
    // offset and hands out only the bytes below it (`buffer` is `buf.slice(0, offset)`).
    name: 'encoder-pooled-buffers',
    file: source('protocol', 'encoder.js'),
    original: '    this.buf = Buffer.alloc(Encoder.nextPowerOfTwo(initialSize))\n',
    patched: `    this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize)) ${MARK}: unzeroed, pooled when small\n`,
  },
  {
    name: 'encoder-unzeroed-growth',
    file: source('protocol', 'encoder.js'),
    original: '      const newBuffer = Buffer.alloc(newLength)\n',
    patched: `      const newBuffer = Buffer.allocUnsafe(newLength) ${MARK}: only bytes below offset are copied or read\n`,
  },
  {
    // Every varint went through a temporary array and Buffer.from: seven per record.
    name: 'varint-in-place',
    file: source('protocol', 'encoder.js'),
    original: [
      '  writeUVarInt(value) {',
      '    const byteArray = []',
      '    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {',
      '      byteArray.push((value & OTHER_BITS) | MOST_SIGNIFICANT_BIT)',
      '      value >>>= 7',
      '    }',
      '    byteArray.push(value & OTHER_BITS)',
      '    this.writeBufferInternal(Buffer.from(byteArray))',
      '    return this',
      '  }',
      '',
    ].join('\n'),
    patched: [
      `  ${MARK}: writes the bytes in place`,
      '  writeUVarInt(value) {',
      '    this.ensureAvailable(5)',
      '    while ((value & UNSIGNED_INT32_MAX_NUMBER) !== 0) {',
      '      this.buf[this.offset++] = (value & OTHER_BITS) | MOST_SIGNIFICANT_BIT',
      '      value >>>= 7',
      '    }',
      '    this.buf[this.offset++] = value & OTHER_BITS',
      '    return this',
      '  }',
      '',
    ].join('\n'),
  },
  {
    // Each record was encoded into a fresh 512-byte buffer, and each of its headers into another
    // one, then copied: the record now gets one buffer of its own size and its headers inline.
    name: 'record-one-buffer',
    file: source('protocol', 'recordBatch', 'record', 'v0', 'index.js'),
    original: [
      '  return new Encoder()',
      '    .writeVarInt(sizeOfBody)',
      '    .writeInt8(0) // no used record attributes at the moment',
      '    .writeVarLong(timestampDelta)',
      '    .writeVarInt(offsetDelta)',
      '    .writeVarIntBytes(key)',
      '    .writeVarIntBytes(value)',
      '    .writeVarIntArray(headersArray.map(Header))',
      '',
    ].join('\n'),
    patched: [
      `  ${MARK}: one buffer per record, headers written inline`,
      '  const encoder = new Encoder(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody)',
      '    .writeVarInt(sizeOfBody)',
      '    .writeInt8(0) // no used record attributes at the moment',
      '    .writeVarLong(timestampDelta)',
      '    .writeVarInt(offsetDelta)',
      '    .writeVarIntBytes(key)',
      '    .writeVarIntBytes(value)',
      '    .writeVarInt(headersArray.length)',
      '  for (const header of headersArray) {',
      '    encoder.writeVarIntString(header.key).writeVarIntBytes(header.value)',
      '  }',
      '  return encoder',
      '',
    ].join('\n'),
  },
  {
    // CRC32C over every request's batches, one byte per step: slicing by 8 reads eight bytes per
    // step from tables derived once from kafkajs' own.
    name: 'crc32c-slice-by-8',
    file: source('protocol', 'recordBatch', 'crc32C', 'crc32C.js'),
    original: [
      'const crc32C = buffer => {',
      '  let crc = 0 ^ -1',
      '  for (let i = 0; i < buffer.length; i++) {',
      '    crc = T[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8)',
      '  }',
      '',
      '  return (crc ^ -1) >>> 0',
      '}',
      '',
    ].join('\n'),
    patched: [
      `${MARK}: slice-by-8`,
      'let sliced = null',
      'const slicedTables = () => {',
      '  const tables = [T]',
      '  for (let k = 1; k < 8; k++) {',
      '    const previous = tables[k - 1]',
      '    const table = new Int32Array(256)',
      '    for (let n = 0; n < 256; n++) table[n] = T[previous[n] & 0xff] ^ (previous[n] >>> 8)',
      '    tables.push(table)',
      '  }',
      '  return tables',
      '}',
      '',
      'const crc32C = buffer => {',
      '  const [T0, T1, T2, T3, T4, T5, T6, T7] = sliced || (sliced = slicedTables())',
      '  let crc = 0 ^ -1',
      '  let i = 0',
      '  for (const last = buffer.length - 8; i <= last; i += 8) {',
      '    const low = crc ^ (buffer[i] | (buffer[i + 1] << 8) | (buffer[i + 2] << 16) | (buffer[i + 3] << 24))',
      '    crc =',
      '      T7[low & 0xff] ^ T6[(low >>> 8) & 0xff] ^ T5[(low >>> 16) & 0xff] ^ T4[low >>> 24] ^',
      '      T3[buffer[i + 4]] ^ T2[buffer[i + 5]] ^ T1[buffer[i + 6]] ^ T0[buffer[i + 7]]',
      '  }',
      '  for (; i < buffer.length; i++) {',
      '    crc = T0[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8)',
      '  }',
      '',
      '  return (crc ^ -1) >>> 0',
      '}',
      '',
    ].join('\n'),
  },
  {
    // Decoding a fetched record made about ten BigInt-backed Longs (its varlong timestamp delta,
    // read byte by byte in Long arithmetic, then the first offset and timestamp parsed from
    // strings, added to and printed back): about 11% of a consumer's CPU. Now in doubles while
    // they are exact (deltas of at most seven varint bytes, sums below 2^53), and as shipped
    // beyond: the same strings either way.
    name: 'record-decode-numbers',
    file: source('protocol', 'recordBatch', 'record', 'v0', 'decoder.js'),
    original: [
      '  const timestampDelta = decoder.readVarLong()',
      '  const timestamp =',
      '    timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp',
      '      ? maxTimestamp',
      '      : Long.fromValue(firstTimestamp)',
      '          .add(timestampDelta)',
      '          .toString()',
      '',
      '  const offsetDelta = decoder.readVarInt()',
      '  const offset = Long.fromValue(firstOffset)',
      '    .add(offsetDelta)',
      '    .toString()',
      '',
    ].join('\n'),
    patched: [
      `  ${MARK}: doubles while exact, Longs beyond`,
      '  const timestampDelta = readVarLongWhileExact(decoder)',
      '  const timestamp =',
      '    timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp',
      '      ? maxTimestamp',
      '      : sumAsString(firstTimestamp, timestampDelta)',
      '',
      '  const offsetDelta = decoder.readVarInt()',
      '  const offset = sumAsString(firstOffset, offsetDelta)',
      '',
    ].join('\n'),
  },
  {
    name: 'record-decode-numbers-helpers',
    file: source('protocol', 'recordBatch', 'record', 'v0', 'decoder.js'),
    original: "const TimestampTypes = require('../../../timestampTypes')\n",
    patched: [
      "const TimestampTypes = require('../../../timestampTypes')",
      '',
      `${MARK}: a zigzag varlong of at most seven bytes (49 bits) as a number, a Long when longer`,
      'const readVarLongWhileExact = decoder => {',
      '  const buffer = decoder.buffer',
      '  let offset = decoder.offset',
      '  let zigzag = 0',
      '  let byte',
      '  for (let shift = 0; shift < 49; shift += 7) {',
      '    byte = buffer[offset++]',
      '    zigzag += (byte & 0x7f) * 2 ** shift',
      '    if (byte < 0x80) {',
      '      decoder.offset = offset',
      '      return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2',
      '    }',
      '  }',
      '  return decoder.readVarLong()',
      '}',
      '',
      `${MARK}: first (an int64 as a decimal string) plus delta, as a decimal string`,
      'const sumAsString = (first, delta) => {',
      '  const base = Number(first)',
      "  if (typeof delta === 'number' && Number.isSafeInteger(base) && Number.isSafeInteger(base + delta)) {",
      '    return String(base + delta)',
      '  }',
      '  return Long.fromValue(first)',
      '    .add(delta)',
      '    .toString()',
      '}',
      '',
    ].join('\n'),
  },
];

/** `text` with `patch` applied; unchanged when already applied; throws when the passage is not there once. */
export function patchSource(text, patch) {
  if (text.includes(patch.patched)) return text;
  const at = text.indexOf(patch.original);
  if (at < 0 || text.indexOf(patch.original, at + 1) >= 0) {
    throw new Error(
      `${patch.file} does not have the passage that patch '${patch.name}' expects (kafkajs was upgraded?): ` +
        'check whether upstream changed it, then update or drop that patch in patches/kafkajs.mjs',
    );
  }
  return text.slice(0, at) + patch.patched + text.slice(at + patch.original.length);
}

/** Applies every patch under `root`; returns the names of those that changed a file. */
export function patchInstalled(root = process.cwd()) {
  const applied = [];
  for (const patch of PATCHES) {
    const path = join(root, patch.file);
    const before = readFileSync(path, 'utf8');
    const after = patchSource(before, patch);
    if (after !== before) {
      writeFileSync(path, after);
      applied.push(patch.name);
    }
  }
  return applied;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const applied = patchInstalled();
    if (applied.length > 0) process.stdout.write(`patched kafkajs: ${applied.join(', ')}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

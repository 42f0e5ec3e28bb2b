import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  formatTopicId,
  KafkaMetadataError,
} from './kafka-metadata.ts';

/** Hex bytes, with `#` comments to the end of each line. */
const hex = (text: string) =>
  Buffer.from(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').replace(/\s+/g, ''))
      .join(''),
    'hex',
  );

describe('Metadata v12', () => {
  it('encodes a request by name that never creates the topic', () => {
    const frame = encodeMetadataRequest(7, 'ab', ['t1']);
    expect(frame.toString('hex')).toBe(
      hex(`
        00000025      # size 37
        0003 000c     # api key 3, version 12
        00000007      # correlation id
        0002 6162 00  # client id "ab" (INT16 length), no tagged fields
        02            # one topic (compact array: n + 1)
        00000000000000000000000000000000  # topic_id: zero, asking by name
        03 7431 00    # name "t1" (compact: length + 1), no tagged fields
        00 00         # allow_auto_topic_creation false, include_topic_authorized_operations false
        00            # no tagged fields
      `).toString('hex'),
    );
  });

  // A response as a Kafka 4.1 broker shapes it: one broker, a found topic with 2 partitions
  // and a missing one (error 3, UNKNOWN_TOPIC_OR_PARTITION, zero ID).
  const response = hex(`
    00000007 00                     # correlation id, header tags
    00000000                        # throttle
    02 00000001 0a 3132372e302e302e31 00005208 00 00  # broker 1 127.0.0.1:21000, rack null
    05 61626364                     # cluster id "abcd"
    00000001                        # controller
    03                              # two topics
      0000 0274 0102030405060708090a0b0c0d0e0f10 00   # "t", its ID, not internal
        03                                            # two partitions
          0000 00000000 00000001 00000000 02 00000001 02 00000001 01 00
          0000 00000001 00000001 00000000 02 00000001 02 00000001 01 00
        80000000 00
      0003 026d 00000000000000000000000000000000 00   # "m": unknown, zero ID
        01
        80000000 00
    00
  `);

  it('decodes topic IDs in Kafka text form and tells missing topics apart', () => {
    const { topics } = decodeMetadataResponse(response, 7);
    expect(topics).toEqual([
      { name: 't', found: true, topicId: 'AQIDBAUGBwgJCgsMDQ4PEA', partitions: 2 },
      { name: 'm', found: false, errorCode: 3 },
    ]);
  });

  it('refuses a truncated response or one for another request', () => {
    expect(() => decodeMetadataResponse(response.subarray(0, response.length - 5), 7)).toThrow(
      KafkaMetadataError,
    );
    expect(() => decodeMetadataResponse(response, 8)).toThrow(/expected 8/);
  });

  it('formats IDs as Strimzi shows them: unpadded base64url, 22 characters', () => {
    const id = formatTopicId(Buffer.from('fbffffffffffffffffffffffffffffff', 'hex'));
    expect(id).toBe('-____________________w');
    expect(id).toHaveLength(22);
  });
});

import { apiLength } from '../api/api-strings.ts';
import type { JSONSchemaProps } from '../api/crd.ts';
import { admitsString, celAdmits } from '../api/crd-rules.fixtures.ts';
import { loadCrd, versionSchema } from '../api/crd.ts';
import { applyDefaults } from '../api/defaults.ts';
import type { RatingExperiment, RatingExperimentSpec } from '../api/v1alpha1.ts';
import {
  InvalidSpecError,
  LIST_BOUNDS,
  SPEC_BOUNDS,
  SPEC_DEFAULTS,
  STRING_BOUNDS,
  mustResolveSpec,
  resolveSpec,
  topicNameOf,
  usesRecordedLegacyTopic,
} from './spec.ts';

const schema = versionSchema(loadCrd(), 'v1alpha1');
const specSchema = schema.properties?.spec as JSONSchemaProps;

function experiment(spec: Partial<RatingExperimentSpec> = {}, name = 'erb-voices'): RatingExperiment {
  return applyDefaults<RatingExperiment>(schema, {
    metadata: { name, namespace: 'appdev', uid: 'u-1', generation: 1 },
    spec: { kafka: { cluster: 'kafka', namespace: 'queuing' }, ...spec },
  });
}

function problems(exp: RatingExperiment): string[] {
  const result = resolveSpec(exp);
  return result.ok ? [] : result.problems;
}

function prop(path: string): JSONSchemaProps {
  return path.split('.').reduce((s, p) => s.properties?.[p] as JSONSchemaProps, specSchema);
}

describe('resolveSpec', () => {
  it('mirrors the defaults and bounds of the CRD', () => {
    expect(prop('topic.partitions').default).toBe(SPEC_DEFAULTS.topic.partitions);
    expect(prop('topic.replicas').default).toBe(SPEC_DEFAULTS.topic.replicas);
    expect(prop('producer.replicas').default).toBe(SPEC_DEFAULTS.producer.replicas);
    expect(prop('producer.ratingsPerSecond').default).toBe(SPEC_DEFAULTS.producer.ratingsPerSecond);
    expect(prop('consumer.replicas').default).toBe(SPEC_DEFAULTS.consumer.replicas);
    expect(prop('consumer.checkpointIntervalSeconds').default).toBe(
      SPEC_DEFAULTS.consumer.checkpointIntervalSeconds,
    );
    expect(prop('consumer.workers').default).toBe(SPEC_DEFAULTS.consumer.workers);
    expect(prop('deletionPolicy').default).toBe(SPEC_DEFAULTS.deletionPolicy);
    expect(prop('producer.intake.authentication').default).toBe(SPEC_DEFAULTS.producer.intake.authentication);
    for (const [path, [min, max]] of Object.entries(SPEC_BOUNDS)) {
      expect([path, prop(path).minimum, prop(path).maximum]).toEqual([path, min, max]);
    }
    expect(prop('kafka.bootstrapServers').maxLength).toBe(STRING_BOUNDS['kafka.bootstrapServers']);
    expect((prop('topic.config').additionalProperties as JSONSchemaProps).maxLength).toBe(
      STRING_BOUNDS['topic.config'],
    );
    expect(prop('image').maxLength).toBe(STRING_BOUNDS.image);
    for (const [path, bounds] of Object.entries(LIST_BOUNDS)) {
      const p = prop(path);
      expect({ min: p.minItems, max: p.maxItems, maxLength: p.items?.maxLength }).toEqual(bounds);
    }
  });

  it('keeps the legacy default topic an experiment recorded before topics carried the namespace', () => {
    const legacy = { ...experiment(), status: { topic: 'erb-voices-ratings' } };
    expect(topicNameOf(legacy)).toBe('erb-voices-ratings');
    expect(usesRecordedLegacyTopic(legacy)).toBe(true);
    // unless told that topic is not its own: then its namespaced default
    expect(topicNameOf(legacy, { keepRecordedTopic: false })).toBe('appdev.erb-voices-ratings');
    // a status cannot point an experiment at any other topic
    const other = { ...experiment(), status: { topic: 'someone-elses' } };
    expect(topicNameOf(other)).toBe('appdev.erb-voices-ratings');
    expect(usesRecordedLegacyTopic(other)).toBe(false);
    // spec.topic.name always wins
    const named = { ...experiment({ topic: { name: 'mine' } }), status: { topic: 'erb-voices-ratings' } };
    expect(topicNameOf(named)).toBe('mine');
    expect(usesRecordedLegacyTopic(named)).toBe(false);
  });

  it('resolves a stored experiment, defaulting the topic name', () => {
    const result = resolveSpec(experiment());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.topic).toEqual({
      name: 'appdev.erb-voices-ratings',
      partitions: 3,
      replicas: 1,
      config: {},
    });
    expect(result.spec.kafka).toEqual({ cluster: 'kafka', namespace: 'queuing' });
    expect(result.spec.voices).toHaveLength(10);
    expect(result.spec.scale).toEqual(['Hated', 'Meh', 'Liked']);
    expect(result.spec.deletionPolicy).toBe('Delete');
    expect(result.spec).not.toHaveProperty('image');
  });

  it('keeps what the user set', () => {
    const result = resolveSpec(
      experiment({
        topic: { name: 'Custom_Topic', partitions: 12, config: { 'retention.ms': '3600000' } },
        kafka: { cluster: 'kafka', namespace: 'queuing', listener: 'tls' },
        image: 'example.com/ratings:1',
        deletionPolicy: 'Retain',
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      spec: {
        topic: { name: 'Custom_Topic', partitions: 12, replicas: 1, config: { 'retention.ms': '3600000' } },
        kafka: { listener: 'tls' },
        image: 'example.com/ratings:1',
        deletionPolicy: 'Retain',
      },
    });
  });

  it('accepts zero consumers (counting paused) as it accepts zero producers', () => {
    const result = resolveSpec(experiment({ producer: { replicas: 0 }, consumer: { replicas: 0 } }));
    expect(result.ok && result.spec.consumer.replicas).toBe(0);
    expect(result.ok && result.spec.producer.replicas).toBe(0);
  });

  it('applies scalar defaults itself when the API server did not', () => {
    const exp = experiment();
    delete exp.spec.topic;
    delete exp.spec.producer;
    delete exp.spec.consumer;
    delete exp.spec.deletionPolicy;
    expect(mustResolveSpec(exp)).toMatchObject({
      topic: { partitions: 3, replicas: 1 },
      producer: { replicas: 1, ratingsPerSecond: 5, intake: { authentication: 'None' } },
      consumer: { replicas: 2, checkpointIntervalSeconds: 5, workers: 1 },
      deletionPolicy: 'Delete',
    });
  });

  it('reports a catalog the CRD did not default as a wrong CRD', () => {
    const exp = experiment();
    delete exp.spec.voices;
    expect(problems(exp)).toEqual([expect.stringMatching(/^spec\.voices: missing; .*reinstall crds/)]);
  });

  it.each<[string, Partial<RatingExperimentSpec> | (() => RatingExperiment), RegExp]>([
    ['one voice', { voices: ['Solo'] }, /^spec\.voices: must have 2 to 32 entries, got 1/],
    ['duplicate voices', { voices: ['A', 'B', 'A'] }, /^spec\.voices\[2\]: duplicate "A"/],
    ['an empty voice', { voices: ['A', ''] }, /^spec\.voices\[1\]: "" must be 1 to 64/],
    ['a padded voice', { voices: ['A', ' B'] }, /^spec\.voices\[1\]/],
    ['a voice with a pipe', { voices: ['A', 'B|C'] }, /^spec\.voices\[1\]/],
    ['no battles', { battles: [] }, /^spec\.battles: must have 1 to 500/],
    ['a one-label scale', { scale: ['Only'] }, /^spec\.scale: must have 2 to 10/],
    ['duplicate scale labels', { scale: ['Meh', 'Meh'] }, /^spec\.scale\[1\]: duplicate/],
    [
      'an illegal topic name',
      { topic: { name: 'bad name!' } },
      /^spec\.topic\.name: "bad name!" is not a legal/,
    ],
    ['the topic name ..', { topic: { name: '..' } }, /^spec\.topic\.name: "\.\." is not a legal/],
    [
      'too many partitions',
      { topic: { partitions: 65 } },
      /^spec\.topic\.partitions: must be an integer from 1 to 64/,
    ],
    ['a negative rate', { producer: { ratingsPerSecond: -1 } }, /^spec\.producer\.ratingsPerSecond/],
    ['a fractional count', { consumer: { replicas: 1.5 } }, /^spec\.consumer\.replicas/],
    ['negative consumers', { consumer: { replicas: -1 } }, /^spec\.consumer\.replicas/],
    [
      'an unknown deletionPolicy',
      { deletionPolicy: 'Keep' as 'Retain' },
      /^spec\.deletionPolicy: must be Delete or Retain/,
    ],
    [
      'an unknown intake authentication',
      { producer: { intake: { authentication: 'Basic' as 'None' } } },
      /^spec\.producer\.intake\.authentication: must be None or Kubernetes, got "Basic"/,
    ],
    ['no Kafka cluster', { kafka: { cluster: '', namespace: 'q' } }, /^spec\.kafka\.cluster: required/],
    ['no Kafka namespace', { kafka: { cluster: 'k', namespace: '' } }, /^spec\.kafka\.namespace: required/],
    [
      'a bad bootstrap',
      { kafka: { cluster: 'k', namespace: 'q', bootstrapServers: 'host' } },
      /^spec\.kafka\.bootstrapServers/,
    ],
    [
      'a bad quantity',
      { resources: { limits: { memory: '1 GB' } } },
      /^spec\.resources\.limits\.memory: "1 GB"/,
    ],
    ['an image with spaces', { image: 'a b' }, /^spec\.image/],
    [
      'a name too long for the Services',
      () => experiment({}, 'x'.repeat(55)),
      /^metadata\.name: .* at most 54/,
    ],
    ['a name with a dot', () => experiment({}, 'a.b'), /^metadata\.name/],
  ])('refuses %s', (_what, input, message) => {
    const exp = typeof input === 'function' ? input() : experiment(input);
    const found = problems(exp);
    expect(found).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    expect(() => mustResolveSpec(exp)).toThrow(InvalidSpecError);
  });

  it('reports every problem at once', () => {
    expect(
      problems(experiment({ voices: ['A'], topic: { partitions: 0 }, deletionPolicy: 'x' as 'Delete' })),
    ).toHaveLength(3);
  });

  it.each([
    '__consumer_offsets',
    '__transaction_state',
    '__share_group_state',
    '__strimzi_store_topic',
    '__anything',
    // Kafka counts '.' and '_' as the same character when it compares topic names.
    '_.consumer_offsets',
    '..x',
  ])("refuses Kafka's internal topic %s", (name) => {
    expect(problems(experiment({ topic: { name } }))).toEqual([
      expect.stringMatching(/^spec\.topic\.name: ".*" is reserved for Kafka's internal topics/),
    ]);
  });

  it.each(['strimzi.cruisecontrol.metrics', 'strimzi.cruisecontrol.x', 'strimzi_cruisecontrol.x'])(
    "refuses Cruise Control's topic %s",
    (name) => {
      expect(problems(experiment({ topic: { name } }))).toEqual([
        expect.stringMatching(/^spec\.topic\.name: ".*" is reserved for Cruise Control's topics/),
      ]);
    },
  );

  it.each(['_schemas', 'a__b', 'strimzi.cruisecontrol', 'strimzi.other', 'team._x'])(
    'accepts the topic name %s',
    (name) => {
      expect(problems(experiment({ topic: { name } }))).toEqual([]);
    },
  );

  it('refuses a Kafka cluster name longer than a label value (63), as it becomes strimzi.io/cluster', () => {
    expect(problems(experiment({ kafka: { cluster: 'k'.repeat(63), namespace: 'q' } }))).toEqual([]);
    expect(problems(experiment({ kafka: { cluster: 'k'.repeat(64), namespace: 'q' } }))).toEqual([
      expect.stringMatching(/^spec\.kafka\.cluster: .* at most 63 characters/),
    ]);
  });

  it('counts lengths in characters (code points), as the API server does', () => {
    const emoji64 = '😀'.repeat(64);
    expect(emoji64.length).toBe(128);
    expect(problems(experiment({ voices: [emoji64, 'B'] }))).toEqual([]);
    expect(problems(experiment({ voices: ['😀'.repeat(65), 'B'] }))).toEqual([
      expect.stringMatching(/^spec\.voices\[0\]/),
    ]);
  });

  it('reads \\s and \\S as RE2 does: \\v, NBSP and U+2028 are not spaces there', () => {
    for (const space of ['\v', '\u00a0', '\u2028']) {
      expect(problems(experiment({ voices: [`${space}A`, `B${space}`] }))).toEqual([]);
      expect(problems(experiment({ image: `img${space}:1` }))).toEqual([]);
      expect(
        problems(experiment({ kafka: { cluster: 'k', namespace: 'q', bootstrapServers: `h${space}:9092` } })),
      ).toEqual([]);
    }
    expect(problems(experiment({ voices: ['\tA', 'B'] }))).toEqual([
      expect.stringMatching(/^spec\.voices\[0\]/),
    ]);
  });
});

/**
 * Property tests: on generated strings, the controller refuses exactly what the CRD (as the API
 * server evaluates it, see crd-rules.fixtures.ts) refuses. A seeded PRNG keeps runs repeatable.
 */
describe('resolveSpec and the CRD judge strings alike', () => {
  const RUNS = 400;
  // The characters where JavaScript and the API server part ways, and those that the rules use.
  const TRICKY = ['😀', '\u00a0', '\v', '\u2028', '\u3000', '\t', '\n', '\r', ' ', '|', ':', ',', 'é', '声'];

  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /**
   * Strings of code points drawn mostly from `typical`, some from TRICKY, with lengths around
   * `max`; some begin with one of `prefixes`.
   */
  function strings(seed: number, typical: string, max: number, prefixes: string[] = []): string[] {
    const random = prng(seed);
    const pool = [...typical];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const out: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const length =
        random() < 0.5 ? Math.floor(random() * 8) : Math.max(0, max - 3 + Math.floor(random() * 6));
      const tricky = random() < 0.5 ? 0 : random() * 0.2;
      let s = prefixes.length > 0 && random() < 0.2 ? pick(prefixes) : '';
      for (let j = 0; j < length; j++) s += random() < tricky ? pick(TRICKY) : pick(pool);
      out.push(s);
    }
    return out;
  }

  const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

  /** host:port lists, some malformed, and two at the 1024-character bound in astral characters. */
  function bootstraps(): string[] {
    const hosts = strings(3, 'ab.-', 6);
    const ports = strings(13, '0123456789', 5);
    const at = (i: number): string => `${hosts[i % RUNS]}:${ports[i % RUNS]}`;
    const lists = hosts.map((host, i) =>
      i % 7 === 0 ? host : i % 3 === 0 ? `${at(i)},${at(i + 1)}` : at(i),
    );
    return [...lists, `${'😀'.repeat(1019)}:9092`, `${'😀'.repeat(1020)}:9092`];
  }

  /** Field, where it sits in the CRD, how to put a value there, and the strings to try. */
  const FIELDS: [string, (v: string) => RatingExperiment, string[]][] = [
    [
      'kafka.cluster',
      (v) => experiment({ kafka: { cluster: v, namespace: 'q' } }),
      strings(1, `${LOWER}-.`, 63),
    ],
    [
      'kafka.namespace',
      (v) => experiment({ kafka: { cluster: 'k', namespace: v } }),
      strings(2, `${LOWER}-`, 63),
    ],
    [
      'kafka.bootstrapServers',
      (v) => experiment({ kafka: { cluster: 'k', namespace: 'q', bootstrapServers: v } }),
      bootstraps(),
    ],
    [
      'kafka.listener',
      (v) => experiment({ kafka: { cluster: 'k', namespace: 'q', listener: v } }),
      strings(4, LOWER, 25),
    ],
    [
      'topic.name',
      (v) => experiment({ topic: { name: v } }),
      strings(5, `${LOWER}AZ._-`, 249, [
        '__',
        '_.',
        '._',
        'strimzi.cruisecontrol.',
        'strimzi_cruisecontrol.',
      ]),
    ],
    [
      'topic.config',
      (v) => experiment({ topic: { config: { 'retention.ms': v } } }),
      strings(6, LOWER, 1024),
    ],
    ['voices', (v) => experiment({ voices: [v, 'B'] }), strings(7, `${LOWER} |`, 64)],
    ['battles', (v) => experiment({ battles: [v] }), strings(8, `${LOWER} |`, 128)],
    ['scale', (v) => experiment({ scale: [v, 'Z'] }), strings(9, `${LOWER} |`, 32)],
    ['image', (v) => experiment({ image: v }), strings(10, `${LOWER}/:@.`, 512)],
    [
      'resources',
      (v) => experiment({ resources: { limits: { memory: v } } }),
      strings(11, '0123456789.+-eEKMGiu', 6),
    ],
  ];

  /** The CRD's schema node of a field's strings. */
  function stringNode(field: string): JSONSchemaProps {
    const node = prop(field);
    if (node.type === 'array') return node.items!;
    if (field === 'topic.config') return node.additionalProperties as JSONSchemaProps;
    if (field === 'resources') return node.properties!.limits!.additionalProperties as JSONSchemaProps;
    return node;
  }

  it.each(FIELDS)('on spec.%s', (field, put, values) => {
    const node = stringNode(field);
    const path = `spec.${field}`;
    const verdicts = { admitted: 0, refused: 0 };
    for (const value of values) {
      const crd = admitsString(node, value);
      const controller = !problems(put(value)).some((p) => p.startsWith(path));
      expect({ value, codePoints: apiLength(value), crd, controller }).toEqual({
        value,
        codePoints: apiLength(value),
        crd,
        controller: crd,
      });
      verdicts[crd ? 'admitted' : 'refused']++;
    }
    // Both verdicts occur, or the comparison proves little.
    expect(verdicts.admitted).toBeGreaterThan(RUNS / 20);
    expect(verdicts.refused).toBeGreaterThan(RUNS / 20);
  });

  it('on metadata.name, which the CRD checks with CEL', () => {
    const rules = (schema['x-kubernetes-validations'] ?? []).filter((r) => r.rule.includes('metadata.name'));
    expect(rules).toHaveLength(1);
    let admitted = 0;
    for (const name of strings(12, `${LOWER}-.`, 54)) {
      const crd = celAdmits(rules[0]!.rule, 'self.metadata.name', name);
      const controller = !problems(experiment({}, name)).some((p) => p.startsWith('metadata.name'));
      expect({ name, controller }).toEqual({ name, controller: crd });
      if (crd) admitted++;
    }
    expect(admitted).toBeGreaterThan(RUNS / 20);
  });
});

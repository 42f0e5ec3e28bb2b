import type { JSONSchemaProps } from '../api/crd.ts';
import { loadCrd, versionSchema } from '../api/crd.ts';
import { applyDefaults } from '../api/defaults.ts';
import type { RatingExperiment, RatingExperimentSpec } from '../api/v1alpha1.ts';
import {
  InvalidSpecError,
  LIST_BOUNDS,
  SPEC_BOUNDS,
  SPEC_DEFAULTS,
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
});

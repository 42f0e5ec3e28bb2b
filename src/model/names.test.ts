import { LABEL_STAGED } from '../api/v1alpha1.ts';
import {
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  UNSTAGED_SELECTOR,
  isStaged,
  accessName,
  consumerName,
  defaultTopicName,
  legacyDefaultTopicName,
  labelledExperiment,
  experimentRef,
  fnv1a,
  kafkaTopicResourceName,
  labels,
  producerName,
  selectorLabels,
  topicLabels,
} from './names.ts';

describe('names', () => {
  it('derives child names from the experiment name', () => {
    expect(producerName('erb')).toBe('erb-producer');
    expect(consumerName('erb')).toBe('erb-consumer');
    expect(accessName('erb')).toBe('erb-ratings');
    expect(defaultTopicName('appdev', 'erb')).toBe('appdev.erb-ratings');
    expect(legacyDefaultTopicName('erb')).toBe('erb-ratings');
  });

  it('gives experiments of the same name in two namespaces two topics, and never one topic to two experiments', () => {
    expect(defaultTopicName('t1', 'dup')).not.toBe(defaultTopicName('t2', 'dup'));
    // Names with dashes cannot be re-split into another namespace/name pair: '.' is in neither.
    const pairs = [
      ['a-b', 'c'],
      ['a', 'b-c'],
      ['a', 'b'],
      ['a-b-c', 'd'],
      ['x', 'a-b-c-d'],
      ['x-a', 'b-c-d'],
    ];
    const topics = pairs.map(([ns, name]) => defaultTopicName(ns!, name!));
    expect(new Set(topics).size).toBe(pairs.length);
  });

  it('is a legal Kafka topic and KafkaTopic name at the longest namespace and experiment name', () => {
    const topic = defaultTopicName('n'.repeat(63), 'e'.repeat(54));
    expect(topic).toHaveLength(126);
    expect(topic).toMatch(/^[a-zA-Z0-9._-]{1,249}$/);
    expect(kafkaTopicResourceName(topic)).toBe(topic);
  });

  it('needs a stored experiment', () => {
    expect(() => experimentRef({ metadata: { name: 'x', namespace: 'y' }, spec: {} as never })).toThrow(
      /uid/,
    );
    expect(
      experimentRef({ metadata: { name: 'x', namespace: 'y', uid: 'u', generation: 3 }, spec: {} as never }),
    ).toEqual({ name: 'x', namespace: 'y', uid: 'u', generation: 3 });
  });
});

describe('labels', () => {
  it('are the recommended labels, with the selector labels a stable subset', () => {
    const all = labels('erb', 'producer');
    expect(all).toEqual({
      'app.kubernetes.io/name': 'rating-experiment',
      'app.kubernetes.io/instance': 'erb',
      'app.kubernetes.io/component': 'producer',
      'app.kubernetes.io/part-of': 'ratings',
      'app.kubernetes.io/managed-by': 'ratings-operator',
    });
    expect(all).toMatchObject(selectorLabels('erb', 'producer'));
    expect(selectorLabels('erb', 'producer')).not.toHaveProperty(LABEL_MANAGED_BY);
    expect(selectorLabels('erb', 'consumer')[LABEL_COMPONENT]).toBe('consumer');
  });

  it('tie a KafkaTopic to its cluster and, across namespaces, to its experiment', () => {
    const l = topicLabels({ namespace: 'appdev', name: 'erb' }, 'kafka');
    expect(l).toMatchObject({
      'strimzi.io/cluster': 'kafka',
      'ratings.conglombo.io/experiment-namespace': 'appdev',
      'ratings.conglombo.io/experiment-name': 'erb',
    });
    expect(labelledExperiment({ metadata: { labels: l } })).toEqual({ namespace: 'appdev', name: 'erb' });
    expect(labelledExperiment({ metadata: { labels: { 'strimzi.io/cluster': 'kafka' } } })).toBeUndefined();
    expect(labelledExperiment({})).toBeUndefined();
  });
});

describe('kafkaTopicResourceName', () => {
  it('is the topic name when that is a valid Kubernetes name', () => {
    expect(kafkaTopicResourceName('erb-ratings')).toBe('erb-ratings');
    expect(kafkaTopicResourceName('a.b.c')).toBe('a.b.c');
  });

  it('is a valid, distinct name for topic names Kubernetes does not accept', () => {
    const names = ['Erb_Ratings', 'erb_ratings', 'erb-ratings_', '__', '.hidden', 'a..b'].map(
      kafkaTopicResourceName,
    );
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
      expect(name.length).toBeLessThanOrEqual(253);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(kafkaTopicResourceName('X'.repeat(249)).length).toBeLessThanOrEqual(253);
  });

  it('uses FNV-1a', () => {
    expect(fnv1a('')).toBe('811c9dc5');
    expect(fnv1a('a')).toBe('e40c292c');
    expect(fnv1a('foobar')).toBe('bf9cf968');
  });
});

describe('staged experiments', () => {
  it('are those labelled ratings.conglombo.io/staged=true, and only those', () => {
    expect(LABEL_STAGED).toBe('ratings.conglombo.io/staged');
    expect(isStaged({ metadata: { labels: { [LABEL_STAGED]: 'true' } } })).toBe(true);
    expect(isStaged({ metadata: { labels: { [LABEL_STAGED]: 'false' } } })).toBe(false);
    expect(isStaged({ metadata: { labels: { [LABEL_STAGED]: 'True' } } })).toBe(false);
    expect(isStaged({ metadata: { labels: {} } })).toBe(false);
    expect(isStaged({})).toBe(false);
  });

  it('are left out by the label selector of the controller, which keeps unlabelled ones', () => {
    // Set-based selector semantics: `!=` also matches objects without the label.
    expect(UNSTAGED_SELECTOR).toBe('ratings.conglombo.io/staged!=true');
  });
});

import type { RatingExperiment } from '../api/v1alpha1.ts';
import { resolveBootstrap } from './bootstrap.ts';
import type { Kafka } from './strimzi.ts';

const exp = (kafka: Partial<RatingExperiment['spec']['kafka']> = {}): Pick<RatingExperiment, 'spec'> => ({
  spec: { kafka: { cluster: 'kafka', namespace: 'queuing', ...kafka } },
});

const kafka = (
  listeners: NonNullable<Kafka['status']>['listeners'],
  specListeners: NonNullable<NonNullable<Kafka['spec']>['kafka']>['listeners'] = [],
): Kafka => ({
  metadata: { name: 'kafka', namespace: 'queuing' },
  spec: { kafka: { listeners: specListeners } },
  status: { listeners },
});

const plain = { name: 'plain', bootstrapServers: 'kafka-kafka-bootstrap.queuing.svc:9092' };
const tls = { name: 'tls', bootstrapServers: 'kafka-kafka-bootstrap.queuing.svc:9093' };
const external = {
  name: 'external',
  addresses: [
    { host: '10.0.0.1', port: 31092 },
    { host: '10.0.0.2', port: 31092 },
  ],
};

describe('resolveBootstrap', () => {
  it('prefers the spec override and then needs no Kafka resource', () => {
    expect(resolveBootstrap(exp({ bootstrapServers: 'a:9092,b:9092' }), undefined)).toEqual({
      ok: true,
      bootstrapServers: 'a:9092,b:9092',
      source: 'spec',
    });
  });

  it('reports a missing Kafka with what to do about it', () => {
    const result = resolveBootstrap(exp(), undefined);
    expect(result).toMatchObject({ ok: false, reason: 'KafkaNotFound' });
    expect(!result.ok && result.message).toMatch(
      /Kafka queuing\/kafka not found: .*spec\.kafka\.cluster.*spec\.kafka\.bootstrapServers/,
    );
  });

  it('waits for listeners', () => {
    expect(resolveBootstrap(exp(), kafka(undefined))).toMatchObject({
      ok: false,
      reason: 'BootstrapUnresolved',
      message: expect.stringMatching(/no listener addresses.*Ready/),
    });
  });

  it('uses the listener the spec names, or says which exist', () => {
    expect(resolveBootstrap(exp({ listener: 'tls' }), kafka([plain, tls]))).toEqual({
      ok: true,
      bootstrapServers: tls.bootstrapServers,
      source: 'listener',
      listener: 'tls',
    });
    expect(resolveBootstrap(exp({ listener: 'nope' }), kafka([plain, tls]))).toMatchObject({
      ok: false,
      reason: 'BootstrapUnresolved',
      message: expect.stringContaining('no listener "nope" in status.listeners (it has: plain, tls)'),
    });
  });

  it('prefers an internal listener without TLS', () => {
    const result = resolveBootstrap(
      exp(),
      kafka(
        [tls, { name: 'inside', bootstrapServers: 'inside:9094' }],
        [
          { name: 'tls', type: 'internal', tls: true },
          { name: 'inside', type: 'internal', tls: false },
        ],
      ),
    );
    expect(result).toMatchObject({ ok: true, bootstrapServers: 'inside:9094', listener: 'inside' });
  });

  it('falls back to a listener named plain, then the first one', () => {
    expect(resolveBootstrap(exp(), kafka([tls, plain]))).toMatchObject({ listener: 'plain' });
    expect(resolveBootstrap(exp(), kafka([external, tls]))).toMatchObject({
      bootstrapServers: '10.0.0.1:31092,10.0.0.2:31092',
      listener: 'external',
    });
  });

  it('does not pick a listener named plain that has TLS on', () => {
    expect(
      resolveBootstrap(exp(), kafka([tls, plain], [{ name: 'plain', type: 'internal', tls: true }])),
    ).toMatchObject({ listener: 'tls' });
  });
});

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { expand, referencedSources, resolveEnv, type EnvSources } from './pod-env.ts';

const pod: V1Pod = {
  metadata: { name: 'consumer-abc', namespace: 'appdev', uid: 'u-1', labels: { app: 'consumer' } },
  spec: { nodeName: 'local-process-node', serviceAccountName: 'erb', containers: [] },
};

const noSources: EnvSources = { configMaps: new Map(), secrets: new Map() };

function container(env: V1Container['env'], envFrom?: V1Container['envFrom']): V1Container {
  return { name: 'main', image: 'ratings-operator:dev', env, envFrom };
}

describe('resolveEnv', () => {
  it('resolves literals and the downward-API fields pods use', () => {
    const result = resolveEnv(
      pod,
      container([
        { name: 'EXPERIMENT_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'LOG_LEVEL', value: 'debug' },
      ]),
      noSources,
      '127.0.0.1',
    );
    expect(result).toEqual({
      ok: true,
      env: {
        EXPERIMENT_NAMESPACE: 'appdev',
        POD_NAME: 'consumer-abc',
        POD_IP: '127.0.0.1',
        APP: 'consumer',
        LOG_LEVEL: 'debug',
      },
    });
  });

  it('reads ConfigMap and Secret keys, env entries overriding envFrom', () => {
    const sources: EnvSources = {
      configMaps: new Map([['settings', { LOG_LEVEL: 'warn', KAFKA_TOPIC: 't' }]]),
      secrets: new Map([['creds', { password: 's3cret' }]]),
    };
    const result = resolveEnv(
      pod,
      container(
        [
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
        [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }],
      ),
      sources,
      '127.0.0.1',
    );
    expect(result).toEqual({
      ok: true,
      env: { CM_LOG_LEVEL: 'warn', CM_KAFKA_TOPIC: 't', PASSWORD: 's3cret', LOG_LEVEL: 'info' },
    });
  });

  it('fails with a message naming the missing object or key, unless optional', () => {
    const sources: EnvSources = {
      configMaps: new Map([['settings', {}]]),
      secrets: new Map([['creds', undefined]]),
    };
    expect(
      resolveEnv(
        pod,
        container([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'x' } } }]),
        sources,
        '',
      ),
    ).toEqual({ ok: false, error: 'env X: key "x" not found in ConfigMap appdev/settings' });
    expect(
      resolveEnv(
        pod,
        container([{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'p' } } }]),
        sources,
        '',
      ),
    ).toEqual({ ok: false, error: 'env P: Secret appdev/creds not found' });
    expect(resolveEnv(pod, container([], [{ secretRef: { name: 'creds' } }]), sources, '')).toEqual({
      ok: false,
      error: 'Secret appdev/creds not found (envFrom)',
    });
    expect(
      resolveEnv(
        pod,
        container([
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'x', optional: true } } },
        ]),
        sources,
        '',
      ),
    ).toEqual({ ok: true, env: {} });
  });

  it('refuses what the stand-in cannot provide instead of starting with a wrong value', () => {
    const result = resolveEnv(
      pod,
      container([{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }]),
      noSources,
      '',
    );
    expect(result.ok).toBe(false);
  });

  it('expands $(VAR) references to earlier variables', () => {
    const result = resolveEnv(
      pod,
      container([
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'URL', value: 'http://svc.$(NS):8080/$(LATER)' },
        { name: 'LATER', value: 'x' },
      ]),
      noSources,
      '',
    );
    expect(result).toMatchObject({ ok: true, env: { URL: 'http://svc.appdev:8080/$(LATER)' } });
  });
});

describe('expand', () => {
  it('turns $$ into a literal $', () => {
    expect(expand('$$(A) $(A)', { A: '1' })).toBe('$(A) 1');
  });
});

describe('referencedSources', () => {
  it('names every ConfigMap and Secret the container reads', () => {
    const refs = referencedSources(
      container(
        [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 's1', key: 'b' } } },
        ],
        [{ configMapRef: { name: 'cm2' } }, { secretRef: { name: 's1' } }],
      ),
    );
    expect([...refs.configMaps].sort()).toEqual(['cm1', 'cm2']);
    expect([...refs.secrets]).toEqual(['s1']);
  });
});

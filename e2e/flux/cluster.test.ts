import { deletionOrder, isReady, revisionOf } from './cluster.ts';
import type { FluxObject } from './cluster.ts';

const kustomization = (name: string, dependsOn: string[] = []) => ({
  metadata: { name, namespace: 'flux-system' },
  spec: { dependsOn: dependsOn.map((d) => ({ name: d })) },
});

describe('deletionOrder', () => {
  it('deletes what depends on a Kustomization before the Kustomization itself', () => {
    const order = deletionOrder([
      kustomization('infra-controllers'),
      kustomization('apps', ['infra-controllers']),
      kustomization('infra-configs', ['infra-controllers']),
      kustomization('experiments', ['apps', 'infra-configs']),
    ]);
    expect(order[0]).toBe('experiments');
    expect(order.indexOf('apps')).toBeLessThan(order.indexOf('infra-controllers'));
    expect(order.indexOf('infra-configs')).toBeLessThan(order.indexOf('infra-controllers'));
    expect([...order].sort()).toEqual(['apps', 'experiments', 'infra-configs', 'infra-controllers']);
  });

  it('still deletes everything when the dependencies form a cycle', () => {
    expect(deletionOrder([kustomization('a', ['b']), kustomization('b', ['a'])]).sort()).toEqual(['a', 'b']);
  });
});

describe('isReady', () => {
  const object = (generation: number, observedGeneration: number, status: string): FluxObject => ({
    metadata: { name: 'x', namespace: 'flux-system', generation },
    spec: {},
    status: { observedGeneration, conditions: [{ type: 'Ready', status }] },
  });

  it('needs Ready=True for the current generation', () => {
    expect(isReady(object(2, 2, 'True'))).toBe(true);
    expect(isReady(object(3, 2, 'True'))).toBe(false);
    expect(isReady(object(2, 2, 'False'))).toBe(false);
    expect(isReady(undefined)).toBe(false);
  });
});

it('names a commit as Flux reports it', () => {
  expect(revisionOf('main', 'abc123')).toBe('main@sha1:abc123');
});

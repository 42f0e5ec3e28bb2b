import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  ENTRYPOINT_ANNOTATION,
  containerCommand,
  isOurImage,
  localPortResolver,
  servedPort,
  unsupportedReason,
} from './container-plan.ts';

function pod(containers: V1Container[], annotations?: Record<string, string>): V1Pod {
  return { metadata: { name: 'p', namespace: 'n', annotations }, spec: { containers } };
}

describe('isOurImage', () => {
  it.each([
    ['ratings-operator', true],
    ['ratings-operator:0.1.0', true],
    ['ghcr.io/conglombo/ratings-operator:dev', true],
    ['localhost:5000/ratings-operator', true],
    ['ghcr.io/conglombo/ratings-operator@sha256:abc', true],
    ['ghcr.io/ratings-operator/other:1', false],
    ['nginx', false],
    ['ratings-operator-debug:1', false],
  ])('%s → %s', (image, expected) => {
    expect(isOurImage(image, 'ratings-operator')).toBe(expected);
  });
});

describe('unsupportedReason', () => {
  it('accepts a pod of our images only', () => {
    expect(
      unsupportedReason(pod([{ name: 'a', image: 'ratings-operator:1' }]), 'ratings-operator'),
    ).toBeUndefined();
  });

  it('names the containers with foreign images', () => {
    const reason = unsupportedReason(
      pod([
        { name: 'a', image: 'ratings-operator:1' },
        { name: 'sidecar', image: 'envoy:1' },
      ]),
      'ratings-operator',
    );
    expect(reason).toBe(
      'the process-kubelet stand-in only runs ratings-operator images; not: sidecar (envoy:1)',
    );
  });

  it('refuses init containers', () => {
    const p = pod([{ name: 'a', image: 'ratings-operator' }]);
    p.spec!.initContainers = [{ name: 'init', image: 'ratings-operator' }];
    expect(unsupportedReason(p, 'ratings-operator')).toMatch(/init containers/);
  });
});

describe('containerCommand', () => {
  const container: V1Container = {
    name: 'c',
    image: 'ratings-operator',
    command: ['/ignored'],
    args: ['consumer'],
  };

  it('runs the built CLI with the container args under the project Node, ignoring command', () => {
    expect(containerCommand(pod([container]), container, '/repo')).toEqual({
      file: '/repo/node_modules/.bin/node',
      args: ['/repo/dist/cli.js', 'consumer'],
    });
  });

  it('honours the entrypoint annotation for fixtures only', () => {
    const fixture = pod([container], { [ENTRYPOINT_ANNOTATION]: 'e2e/standins/fixtures/http-echo.ts' });
    expect(containerCommand(fixture, container, '/repo')).toEqual({
      file: '/repo/node_modules/.bin/node',
      args: ['/repo/e2e/standins/fixtures/http-echo.ts', 'consumer'],
    });
    for (const path of [
      'e2e/standins/fixtures/../topic-operator.ts',
      '/etc/passwd',
      'e2e/standins/fixtures',
    ]) {
      expect(
        containerCommand(pod([container], { [ENTRYPOINT_ANNOTATION]: path }), container, '/repo'),
      ).toMatch(/must name a file under e2e\/standins\/fixtures/);
    }
  });
});

describe('ports', () => {
  it('serves on the first declared port, else 8080', () => {
    expect(
      servedPort({ name: 'c', ports: [{ containerPort: 9000, name: 'http' }, { containerPort: 9001 }] }),
    ).toEqual({
      number: 9000,
      name: 'http',
    });
    expect(servedPort({ name: 'c' })).toEqual({ number: 8080 });
  });

  it('maps the served port by number, numeric string or name, and nothing else', () => {
    const resolve = localPortResolver({ name: 'c', ports: [{ containerPort: 8080, name: 'http' }] }, 41234);
    expect([resolve(8080), resolve('8080'), resolve('http'), resolve(9090), resolve('metrics')]).toEqual([
      41234,
      41234,
      41234,
      undefined,
      undefined,
    ]);
  });
});

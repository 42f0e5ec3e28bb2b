import type { V1Pod } from '@kubernetes/client-node';
import { scrapeTarget } from './scrape-target.ts';

function pod(annotations: Record<string, string>, labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name: 'consumer-1', namespace: 'appdev', annotations, labels } };
}

const ports = (port: string | undefined) => (port === undefined || port === '8080' ? 41000 : undefined);

describe('scrapeTarget', () => {
  it('points Prometheus at the remapped port with namespace, pod and app labels', () => {
    expect(
      scrapeTarget(
        pod(
          { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
          { 'app.kubernetes.io/name': 'consumer' },
        ),
        '127.0.0.1',
        ports,
      ),
    ).toEqual({
      targets: ['127.0.0.1:41000'],
      labels: { namespace: 'appdev', pod: 'consumer-1', app: 'consumer' },
    });
  });

  it('carries a custom metrics path', () => {
    expect(
      scrapeTarget(pod({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/m' }), '127.0.0.1', ports)
        ?.labels,
    ).toMatchObject({ __metrics_path__: '/m' });
  });

  it('skips pods not annotated for scraping or naming a port they do not serve', () => {
    expect(scrapeTarget(pod({}), '127.0.0.1', ports)).toBeUndefined();
    expect(
      scrapeTarget(pod({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9999' }), '127.0.0.1', ports),
    ).toBeUndefined();
  });
});

import { podTarget, type Pod } from './pod-discovery.ts';

const pod = (over: { annotations?: Record<string, string>; phase?: string; podIP?: string }): Pod => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    labels: { 'app.kubernetes.io/name': 'ratings-operator' },
    annotations: over.annotations ?? {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    },
  },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 9000 }] }] },
  status: { phase: over.phase ?? 'Running', podIP: 'podIP' in over ? over.podIP : '10.244.0.7' },
});

describe('podTarget', () => {
  it('targets the annotated port and path on the pod IP, labelled as the pod role labels it', () => {
    expect(podTarget(pod({}))).toEqual({
      targets: ['10.244.0.7:8080'],
      labels: {
        job: 'pods',
        namespace: 'ns',
        pod: 'p',
        app: 'ratings-operator',
        __metrics_path__: '/metrics',
      },
    });
  });

  it('falls back to the first declared container port', () => {
    expect(podTarget(pod({ annotations: { 'prometheus.io/scrape': 'true' } }))?.targets).toEqual([
      '10.244.0.7:9000',
    ]);
  });

  it('skips pods not annotated for scraping, not running, or without an IP yet', () => {
    expect(podTarget(pod({ annotations: {} }))).toBeUndefined();
    expect(podTarget(pod({ phase: 'Pending' }))).toBeUndefined();
    expect(podTarget(pod({ podIP: undefined }))).toBeUndefined();
  });
});

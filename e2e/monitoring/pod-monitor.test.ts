// The PodMonitor of config/prometheus against the pods src/model describes: it selects the
// producer and consumer pods of any experiment, on the port and path their metrics are served on,
// and not the controller's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { loadCrd, versionSchema } from '../../src/api/crd.ts';
import { applyDefaults } from '../../src/api/defaults.ts';
import type { RatingExperiment } from '../../src/api/v1alpha1.ts';
import { desiredChildren } from '../../src/model/children.ts';
import { METRICS_PATH } from '../../src/model/pod.ts';
import { repoRoot } from '../stack/paths.ts';

interface PodMonitorSpec {
  namespaceSelector: { any?: boolean };
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: {
      key: string;
      operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
      values?: string[];
    }[];
  };
  podMetricsEndpoints: { port?: string; path?: string }[];
}

const podMonitor = (
  load(readFileSync(join(repoRoot, 'config/prometheus/pod_monitor.yaml'), 'utf8')) as { spec: PodMonitorSpec }
).spec;

function selects(labels: Record<string, string> = {}): boolean {
  const { matchLabels = {}, matchExpressions = [] } = podMonitor.selector;
  return (
    Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
    matchExpressions.every(({ key, operator, values = [] }) => {
      const has = key in labels;
      if (operator === 'In') return has && values.includes(labels[key]!);
      if (operator === 'NotIn') return !has || !values.includes(labels[key]!);
      return operator === 'Exists' ? has : !has;
    })
  );
}

const experiment = applyDefaults<RatingExperiment>(versionSchema(loadCrd(), 'v1alpha1'), {
  apiVersion: 'ratings.conglombo.io/v1alpha1',
  kind: 'RatingExperiment',
  metadata: { name: 'erb-voices', namespace: 'appdev', uid: 'uid-1', generation: 1 },
  spec: { kafka: { cluster: 'kafka', namespace: 'queuing' } },
});
const children = desiredChildren(experiment, {
  image: 'ratings-operator:test',
  bootstrapServers: 'kafka:9092',
});
const templates: [string, V1PodTemplateSpec][] = [
  ['producer', children.producerDeployment.spec!.template],
  ['consumer', children.consumerDeployment.spec!.template],
];

describe('the PodMonitor of config/prometheus', () => {
  it('looks in every namespace, where experiments are', () => {
    expect(podMonitor.namespaceSelector).toEqual({ any: true });
  });

  it.each(templates)(
    'selects the %s pods and scrapes the port and path their metrics are on',
    (_, template) => {
      expect(selects(template.metadata?.labels)).toBe(true);
      const [endpoint] = podMonitor.podMetricsEndpoints;
      expect(podMonitor.podMetricsEndpoints).toHaveLength(1);
      expect(endpoint!.path).toBe(METRICS_PATH);
      const container = template.spec!.containers[0]!;
      const port = container.ports?.find((p) => p.name === endpoint!.port);
      expect(port).toBeDefined();
      // The process listens on PORT, else its default: the named port must be that one.
      const env = container.env?.find((e) => e.name === 'PORT')?.value;
      expect(String(port!.containerPort)).toBe(env ?? '8080');
    },
  );

  it("leaves the controller's pods to the controller's own ServiceMonitor", () => {
    const controller = load(readFileSync(join(repoRoot, 'config/manager/manager.yaml'), 'utf8')) as {
      spec: V1PodTemplateSpec & { template: V1PodTemplateSpec };
    };
    expect(selects(controller.spec.template.metadata?.labels)).toBe(false);
  });
});

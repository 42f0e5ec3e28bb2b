// config/default, the kustomize way to install the operator, through the real kustomize binary
// and the local API server; and its agreement with the Helm chart, the other way to install it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type { V1PodSpec } from '@kubernetes/client-node';
import { useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { repoRoot } from '../stack/paths.ts';
import {
  dryRunApply,
  dryRunPod,
  enforceRestrictedPodSecurity,
  intoNamespace,
  withoutContainerSecurity,
} from './api-server.ts';
import { HELM, KUSTOMIZE, ensureGoTool } from './go-tools.ts';
import { helmTemplate, parseManifests, stackKubernetesVersion } from './helm.ts';
import type { KubeObject } from './helm.ts';
import { CHART_DIR } from './sync.ts';

interface Container {
  env: { name: string }[];
  ports: unknown[];
  livenessProbe: unknown;
  readinessProbe: unknown;
  securityContext: unknown;
}

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let namespace: string;
let config: KubeObject[];
let chart: KubeObject[];

function only(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

/** The aggregate-to-* labels of an RBAC role. */
function aggregation(o: KubeObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o.metadata.labels ?? {}).filter(([k]) => k.startsWith('rbac.authorization.k8s.io/')),
  );
}

function podSpec(objects: KubeObject[]): V1PodSpec {
  return (only(objects, 'Deployment') as unknown as { spec: { template: { spec: V1PodSpec } } }).spec.template
    .spec;
}

function controller(objects: KubeObject[]): Container {
  return podSpec(objects).containers[0] as unknown as Container;
}

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  namespace = await stack.newNamespace('config-default');
  // Built from the Go module proxy on first use: minutes, then cached.
  const kustomize = ensureGoTool(KUSTOMIZE);
  config = parseManifests(
    execFileSync(kustomize, ['build', join(repoRoot, 'config', 'default')], { encoding: 'utf8' }),
  );
  chart = helmTemplate(ensureGoTool(HELM), join(repoRoot, CHART_DIR), {
    release: 'ratings-operator',
    namespace: 'ratings-operator-system',
    kubeVersion: stackKubernetesVersion(),
  });
}, 15 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
});

describe('config/default built by kustomize', () => {
  it('holds the CRD, the controller, its RBAC and its metrics Service, in one namespace', () => {
    expect(config.map((o) => o.kind).sort()).toEqual([
      'ClusterRole', // the controller's
      'ClusterRole', // aggregated into the built-in admin role
      'ClusterRole', // aggregated into edit
      'ClusterRole', // aggregated into view
      'ClusterRole', // intake-reviewer
      'ClusterRole', // metrics-reader
      'ClusterRole', // ratings-researcher
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    const namespaces = new Set(config.map((o) => o.metadata.namespace).filter((n) => n !== undefined));
    expect([...namespaces]).toEqual([only(config, 'Namespace').metadata.name]);
  });

  it('is accepted by the API server (server-side dry run)', async () => {
    for (const object of config) {
      await expect(dryRunApply(objectApi, intoNamespace(object, namespace))).resolves.toBeDefined();
    }
  }, 60_000);

  it('runs a controller pod that the restricted Pod Security Standard admits, and no other', async () => {
    await enforceRestrictedPodSecurity(objectApi, namespace);
    await objectApi.create(intoNamespace(only(config, 'ServiceAccount'), namespace));
    const spec = podSpec(config);
    await expect(dryRunPod(objectApi, namespace, spec)).resolves.toBeDefined();
    await expect(dryRunPod(objectApi, namespace, withoutContainerSecurity(spec))).rejects.toThrow(
      /violates PodSecurity/,
    );
  }, 60_000);
});

describe('config/default and the Helm chart', () => {
  it.each(['ClusterRole', 'Role'])('grant the same %s rules, under the same names', (kind) => {
    // The chart's release here is named like config/default's objects, so the names agree too.
    const rulesByName = (objects: KubeObject[]) =>
      Object.fromEntries(
        objects
          .filter((o) => o.kind === kind)
          .map((o) => [
            o.metadata.name,
            { labels: aggregation(o), rules: (o as unknown as { rules: unknown }).rules },
          ]),
      );
    expect(rulesByName(config)).toEqual(rulesByName(chart));
  });

  it('run the same image, with the same disruption budget and topology spread', () => {
    const image = (objects: KubeObject[]) => (podSpec(objects).containers[0] as { image?: string }).image;
    expect(image(config)).toBe(image(chart));
    // Each counts its own controller pods (the chart's selectors also name the release).
    const podLabels = (objects: KubeObject[]) =>
      (only(objects, 'Deployment') as unknown as { spec: { template: { metadata: { labels: object } } } })
        .spec.template.metadata.labels;
    const budget = (objects: KubeObject[]) => {
      const { selector, ...rest } = (
        only(objects, 'PodDisruptionBudget') as unknown as {
          spec: { selector: { matchLabels: object }; maxUnavailable: number };
        }
      ).spec;
      expect(podLabels(objects)).toMatchObject(selector.matchLabels);
      return rest;
    };
    expect(budget(config)).toEqual(budget(chart));
    const spread = (objects: KubeObject[]) => {
      return (podSpec(objects).topologySpreadConstraints ?? []).map(({ labelSelector, ...rest }) => {
        expect(podLabels(objects)).toMatchObject(labelSelector?.matchLabels ?? { missing: 'labelSelector' });
        return rest;
      });
    };
    expect(spread(config)).toEqual(spread(chart));
    expect(spread(config).map((c) => c.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
  });

  it('run the controller with the same settings, probes, ports and security context', () => {
    const names = (c: Container): string[] => c.env.map((e) => e.name).sort();
    const [fromConfig, fromChart] = [controller(config), controller(chart)];
    // The chart passes its values explicitly; config/default relies on the controller's defaults.
    expect(names(fromChart)).toEqual(expect.arrayContaining(names(fromConfig)));
    for (const field of ['ports', 'livenessProbe', 'readinessProbe', 'securityContext'] as const) {
      expect({ field, value: fromConfig[field] }).toEqual({ field, value: fromChart[field] });
    }
    expect(podSpec(config).securityContext).toEqual(podSpec(chart).securityContext);
  });
});

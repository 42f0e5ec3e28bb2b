// The chart through the real helm binary (lint, template) and the rendered objects through the
// real API server of the local stack (server-side dry run, Pod Security admission).
import { readFileSync } from 'node:fs';
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
  withoutContainerSecurity,
} from './api-server.ts';
import { HELM, ensureGoTool } from './go-tools.ts';
import { helmLint, helmTemplate, stackKubernetesVersion } from './helm.ts';
import type { KubeObject, RenderOptions } from './helm.ts';
import { CHART_DIR, DERIVED_ROLES, roleRules } from './sync.ts';

interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}

const chartDir = join(repoRoot, CHART_DIR);
const release = 'it';

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let helm: string;
let namespace: string;
let kubeVersion: string;

function render(values: Record<string, string> = {}, extra: Partial<RenderOptions> = {}): KubeObject[] {
  return helmTemplate(helm, chartDir, { release, namespace, kubeVersion, values, ...extra });
}

function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, rendered ${found.length}`);
  return found[0]!;
}

/** The release's full name, as the chart's helper makes it for this test's release. */
const fullname = `${release}-ratings-operator`;
/** Values that render the optional NetworkPolicies (and the RBAC they need). */
const withNetworkPolicy = {
  'networkPolicy.enabled': 'true',
  'networkPolicy.apiServer.cidrs[0]': '10.0.0.1/32',
};

function podSpec(objects: KubeObject[]): PodSpec {
  return (only(objects, 'Deployment') as unknown as { spec: { template: { spec: PodSpec } } }).spec.template
    .spec;
}

function controller(objects: KubeObject[]): Container {
  return podSpec(objects).containers[0]!;
}

function env(container: Container, name: string): Container['env'][number] | undefined {
  return container.env.find((e) => e.name === name);
}

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  kubeVersion = stackKubernetesVersion();
  namespace = await stack.newNamespace('chart');
  // Built from the Go module proxy on first use: minutes, then cached.
  helm = ensureGoTool(HELM);
}, 15 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
});

describe('the chart, rendered by helm', () => {
  it('passes helm lint --strict', () => {
    expect(helmLint(helm, chartDir)).toContain('0 chart(s) failed');
  });

  it('renders the controller and its RBAC, and a ServiceMonitor only when asked for', () => {
    // The controller's, intake-reviewer, metrics-reader and ratings-researcher.
    const kinds = [
      // The controller's, the three aggregated into the built-in view, edit and admin roles,
      // intake-reviewer, metrics-reader and ratings-researcher.
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ];
    expect(
      render()
        .map((o) => o.kind)
        .sort(),
    ).toEqual(kinds);
    expect(
      render({ 'serviceMonitor.enabled': 'true' })
        .map((o) => o.kind)
        .sort(),
    ).toEqual([...kinds, 'ServiceMonitor'].sort());
  });

  it.each(DERIVED_ROLES.map((role) => [role.kind, role.source, role] as const))(
    'grants the %s exactly the rules of %s',
    (kind, source, role) => {
      const rules = roleRules(readFileSync(join(repoRoot, source), 'utf8'), kind, source);
      const name = role.fixedName ?? `${fullname}${role.nameSuffix}`;
      const rendered = only(render(withNetworkPolicy), kind, name);
      expect((rendered as unknown as { rules: unknown[] }).rules).toEqual(rules);
    },
  );

  it('binds the ClusterRole and the leader-election Role to the controller ServiceAccount', () => {
    const objects = render();
    const account = only(objects, 'ServiceAccount').metadata;
    expect(podSpec(objects).serviceAccountName).toBe(account.name);
    for (const [bindingKind, roleKind] of [
      ['ClusterRoleBinding', 'ClusterRole'],
      ['RoleBinding', 'Role'],
    ] as const) {
      const binding = only(objects, bindingKind) as unknown as {
        roleRef: { kind: string; name: string };
        subjects: { kind: string; name: string; namespace: string }[];
      };
      expect(binding.roleRef).toMatchObject({
        kind: roleKind,
        name: only(objects, roleKind, roleKind === 'Role' ? `${fullname}-leader-election` : fullname).metadata
          .name,
      });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.name, namespace }]);
    }
  });

  it('keeps the leader-election Role in the release namespace', () => {
    expect(only(render(), 'Role').metadata.namespace).toBe(namespace);
  });

  it('runs the controller mode with its own image for the children, its pod name and a Lease here', () => {
    const objects = render({ 'image.repository': 'registry.test/ratings-operator', 'image.tag': '1.2.3' });
    const container = controller(objects);
    expect(container.args).toEqual(['controller']);
    expect(container.image).toBe('registry.test/ratings-operator:1.2.3');
    expect(env(container, 'OPERATOR_IMAGE')?.value).toBe(container.image);
    expect(env(container, 'POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(env(container, 'LEADER_ELECTION_NAMESPACE')?.value).toBe(namespace);
  });

  it('defaults the image tag to the chart appVersion', () => {
    const chart = readFileSync(join(chartDir, 'Chart.yaml'), 'utf8');
    const appVersion = /^appVersion: '?([^'\n]+)'?$/m.exec(chart)![1];
    expect(controller(render()).image).toBe(`ghcr.io/conglombo/ratings-operator:${appVersion}`);
  });

  it('probes /healthz and /readyz on the http port, and serves /metrics on the https-metrics port the Service targets', () => {
    const objects = render();
    const container = controller(objects);
    expect(container.ports).toEqual([
      expect.objectContaining({ name: 'http', containerPort: 8080 }),
      expect.objectContaining({ name: 'https-metrics', containerPort: 8443 }),
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const service = only(objects, 'Service') as unknown as {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(['https-metrics']);
    const podLabels = (
      only(objects, 'Deployment') as unknown as {
        spec: { template: { metadata: { labels: Record<string, string> } } };
      }
    ).spec.template.metadata.labels;
    expect(podLabels).toMatchObject(service.spec.selector);
  });

  it('runs two replicas by default and passes the operator settings through', () => {
    expect((only(render(), 'Deployment') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
    const objects = render({
      replicas: '3',
      watchNamespace: 'appdev',
      logLevel: 'debug',
      maxConcurrentReconciles: '8',
    });
    expect((only(objects, 'Deployment') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(3);
    const container = controller(objects);
    expect(env(container, 'WATCH_NAMESPACE')?.value).toBe('appdev');
    expect(env(container, 'LOG_LEVEL')?.value).toBe('debug');
    expect(env(container, 'MAX_CONCURRENT_RECONCILES')?.value).toBe('8');
  });

  it('refuses an existing ServiceAccount without its name, saying which value is missing', () => {
    expect(() => render({ 'serviceAccount.create': 'false' })).toThrow(
      'serviceAccount.name is required when serviceAccount.create is false',
    );
    const objects = render({ 'serviceAccount.create': 'false', 'serviceAccount.name': 'mine' });
    expect(objects.map((o) => o.kind)).not.toContain('ServiceAccount');
    expect(podSpec(objects).serviceAccountName).toBe('mine');
  });

  it('refuses values outside the chart schema, naming them', () => {
    expect(() => render({ replicas: '0' })).toThrow("at '/replicas': minimum: got 0, want 1");
    expect(() => render({ logLevel: 'loud' })).toThrow("at '/logLevel'");
    // A misspelt key would otherwise be ignored without a word.
    expect(() => render({ replica: '3' })).toThrow("additional properties 'replica' not allowed");
  });

  it('refuses clusters older than the CRD needs', () => {
    expect(() => render({}, { kubeVersion: 'v1.29.0' })).toThrow('chart requires kubeVersion');
  });
});

describe('the chart, on the local API server', () => {
  it('renders only objects the API server accepts, CRD included (server-side dry run)', async () => {
    const objects = render({}, { includeCrds: true });
    expect(objects.map((o) => o.kind)).toContain('CustomResourceDefinition');
    for (const object of objects) {
      const applied = await dryRunApply(objectApi, object);
      expect(applied.metadata?.name).toBe(object.metadata.name);
    }
  }, 60_000);

  it('runs a controller pod that the restricted Pod Security Standard admits, and no other', async () => {
    await enforceRestrictedPodSecurity(objectApi, namespace);
    const objects = render();
    // The pod's ServiceAccount must exist for admission; the namespace's cleanup removes it.
    await objectApi.create(only(objects, 'ServiceAccount'));
    const spec = podSpec(objects) as unknown as V1PodSpec;
    await expect(dryRunPod(objectApi, namespace, spec)).resolves.toBeDefined();
    // The control: without the container securityContext the same pod is refused, so the
    // admission above did check the restricted profile.
    await expect(dryRunPod(objectApi, namespace, withoutContainerSecurity(spec))).rejects.toThrow(
      /violates PodSecurity.*allowPrivilegeEscalation != false/,
    );
  }, 60_000);
});

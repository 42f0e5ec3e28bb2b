// The chart's availability and network options through the real helm binary, and the objects
// they render through the local API server (server-side dry run): the PodDisruptionBudget and
// topology spread of the controller, the optional NetworkPolicies and the RBAC they need, and
// the image reference (digest included) shared with config/manager.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { repoRoot } from '../stack/paths.ts';
import { dryRunApply } from './api-server.ts';
import { HELM, ensureGoTool } from './go-tools.ts';
import { helmTemplate, stackKubernetesVersion } from './helm.ts';
import type { KubeObject } from './helm.ts';
import { CHART_DIR } from './sync.ts';

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    topologySpreadConstraints?: {
      topologyKey: string;
      labelSelector?: { matchLabels: Record<string, string> };
    }[];
    containers: { image: string; env: { name: string; value?: string }[] }[];
  };
}

const chartDir = join(repoRoot, CHART_DIR);
const release = 'opts';
const digest = `sha256:${'ab'.repeat(32)}`;
const networkPolicyOn = {
  'networkPolicy.enabled': 'true',
  'networkPolicy.apiServer.cidrs[0]': '10.0.0.1/32',
  'networkPolicy.apiServer.cidrs[1]': '172.18.0.2/32',
};

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let helm: string;
let namespace: string;

function render(values: Record<string, string> = {}): KubeObject[] {
  return helmTemplate(helm, chartDir, { release, namespace, kubeVersion: stackKubernetesVersion(), values });
}

function named(objects: KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function podTemplate(objects: KubeObject[]): PodTemplate {
  return (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: PodTemplate } }).spec
    .template;
}

const env = (objects: KubeObject[], name: string) =>
  podTemplate(objects).spec.containers[0]!.env.find((e) => e.name === name)?.value;

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  namespace = await stack.newNamespace('chart-options');
  // Built from the Go module proxy on first use: minutes, then cached.
  helm = ensureGoTool(HELM);
}, 15 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
});

describe('availability', () => {
  it('renders a PodDisruptionBudget over the controller pods by default, and none when disabled', () => {
    const objects = render();
    const pdb = named(objects, 'PodDisruptionBudget', `${release}-ratings-operator`) as unknown as {
      spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    };
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(podTemplate(objects).metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(render({ 'podDisruptionBudget.enabled': 'false' }).map((o) => o.kind)).not.toContain(
      'PodDisruptionBudget',
    );
  });

  it('spreads the controller pods over hosts and zones, each constraint counting them', () => {
    const template = podTemplate(render());
    const constraints = template.spec.topologySpreadConstraints ?? [];
    expect(constraints.map((c) => c.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const c of constraints) expect(template.metadata.labels).toMatchObject(c.labelSelector!.matchLabels);
  });

  it('keeps a labelSelector given in the values', () => {
    const constraints = podTemplate(
      render({
        'topologySpreadConstraints[0].maxSkew': '2',
        'topologySpreadConstraints[0].topologyKey': 'kubernetes.io/hostname',
        'topologySpreadConstraints[0].whenUnsatisfiable': 'DoNotSchedule',
        'topologySpreadConstraints[0].labelSelector.matchLabels.team': 'ratings',
      }),
    ).spec.topologySpreadConstraints;
    expect(constraints).toEqual([
      {
        maxSkew: 2,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { team: 'ratings' } },
      },
    ]);
  });
});

describe('the NetworkPolicy option', () => {
  it('is off by default: no NetworkPolicy, no RBAC for them, no option passed to the controller', () => {
    const objects = render();
    expect(objects.map((o) => o.kind)).not.toContain('NetworkPolicy');
    expect(JSON.stringify(objects.filter((o) => o.kind === 'ClusterRole'))).not.toContain('networkpolicies');
    expect(env(objects, 'DATA_PLANE_NETWORK_POLICY')).toBeUndefined();
  });

  it("renders the controller's policy, the RBAC for the experiments' policies, and turns the option on", () => {
    const objects = render(networkPolicyOn);
    const policy = named(objects, 'NetworkPolicy', `${release}-ratings-operator-controller`) as unknown as {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: unknown;
        egress: unknown;
      };
    };
    expect(podTemplate(objects).metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
    // Probes on 8080, /metrics (HTTPS, token-guarded) on 8443.
    expect(policy.spec.ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 8080 }] },
      { ports: [{ protocol: 'TCP', port: 8443 }] },
    ]);
    expect(policy.spec.egress).toEqual([
      {
        to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '172.18.0.2/32' } }],
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 6443 },
        ],
      },
    ]);
    const role = named(objects, 'ClusterRole', `${release}-ratings-operator-network-policy`);
    const binding = named(
      objects,
      'ClusterRoleBinding',
      `${release}-ratings-operator-network-policy`,
    ) as unknown as {
      roleRef: { name: string };
      subjects: { name: string; namespace: string }[];
    };
    expect(binding.roleRef.name).toBe(role?.metadata.name);
    expect(binding.subjects).toEqual([
      expect.objectContaining({ name: `${release}-ratings-operator`, namespace }),
    ]);
    expect(env(objects, 'DATA_PLANE_NETWORK_POLICY')).toBe('true');
    expect(env(objects, 'API_SERVER_CIDRS')).toBe('10.0.0.1/32,172.18.0.2/32');
    expect(env(objects, 'API_SERVER_PORTS')).toBe('443,6443');
  });

  it('refuses the option without the API server addresses, saying which value is missing', () => {
    expect(() => render({ 'networkPolicy.enabled': 'true' })).toThrow(
      'networkPolicy.apiServer.cidrs is required when networkPolicy.enabled is true',
    );
    expect(() => render({ ...networkPolicyOn, 'networkPolicy.apiServer.cidrs[0]': '10.0.0.1' })).toThrow(
      "at '/networkPolicy/apiServer/cidrs/0'",
    );
  });
});

describe('the image reference', () => {
  it('is the one config/manager runs, for the controller and the pods it creates', () => {
    const manager = load(
      readFileSync(join(repoRoot, 'config/manager/manager.yaml'), 'utf8'),
    ) as PodTemplate & {
      spec: { template: PodTemplate };
    };
    const fromConfig = manager.spec.template.spec.containers[0]!.image;
    const objects = render();
    expect(podTemplate(objects).spec.containers[0]!.image).toBe(fromConfig);
    expect(env(objects, 'OPERATOR_IMAGE')).toBe(fromConfig);
  });

  it('pins the digest when one is set, for the controller and its pods alike', () => {
    const objects = render({ 'image.tag': '1.2.3', 'image.digest': digest });
    const image = podTemplate(objects).spec.containers[0]!.image;
    expect(image).toBe(`ghcr.io/conglombo/ratings-operator:1.2.3@${digest}`);
    expect(env(objects, 'OPERATOR_IMAGE')).toBe(image);
    expect(() => render({ 'image.digest': 'latest' })).toThrow("at '/image/digest'");
  });
});

describe("the controller's heap", () => {
  it('is bounded as config/manager bounds it', () => {
    const manager = load(readFileSync(join(repoRoot, 'config/manager/manager.yaml'), 'utf8')) as {
      spec: { template: PodTemplate };
    };
    const objects = render();
    for (const name of ['NODE_OPTIONS', 'HEAP_OPTIMIZE_FOR_SIZE']) {
      const fromConfig = manager.spec.template.spec.containers[0]!.env.find((e) => e.name === name)?.value;
      expect(fromConfig).toBeDefined();
      expect(env(objects, name)).toBe(fromConfig);
    }
  });
});

describe('on the local API server', () => {
  it('accepts every object the options render (server-side dry run)', async () => {
    const objects = render({ ...networkPolicyOn, 'image.digest': digest });
    const kinds = objects.map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['NetworkPolicy', 'PodDisruptionBudget']));
    for (const object of objects) {
      const applied = await dryRunApply(objectApi, object);
      expect(applied.metadata?.name).toBe(object.metadata.name);
    }
  }, 60_000);
});

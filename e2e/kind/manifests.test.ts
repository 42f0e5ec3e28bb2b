// The static manifests a user deploys with (ops/, the chart's plain YAML, the kind config):
// every file parses, every object names its kind, and the references between files resolve, so
// that a typo fails here instead of in a Flux reconciliation on someone's cluster.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
  resources?: string[];
}

interface Document {
  file: string;
  manifest: Manifest;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'templates' ? [] : yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    })
    .sort();
}

function documents(files: string[]): Document[] {
  return files.flatMap((path) =>
    loadAll(readFileSync(path, 'utf8'))
      .filter((doc) => doc != null)
      .map((doc) => ({ file: relative(repoRoot, path), manifest: doc as Manifest })),
  );
}

const ops = documents(yamlFiles(join(repoRoot, 'ops')));
const chartDir = join(repoRoot, 'charts', 'ratings-operator');
const chartObjects = documents(yamlFiles(join(chartDir, 'crds')));
const kindConfig = documents([join(repoRoot, 'e2e', 'kind', 'cluster.yaml')]);

const ofKind = (kind: string): Document[] => ops.filter((d) => d.manifest.kind === kind);
const fluxKustomizations = ops.filter(
  (d) =>
    d.manifest.kind === 'Kustomization' && d.manifest.apiVersion?.startsWith('kustomize.toolkit.fluxcd.io/'),
);
const kustomizeFiles = ops.filter((d) => d.manifest.apiVersion === 'kustomize.config.k8s.io/v1beta1');

describe('every manifest', () => {
  it.each([...ops, ...chartObjects, ...kindConfig].map((d) => [d.file, d.manifest] as const))(
    '%s names its apiVersion and kind',
    (_file, manifest) => {
      expect(manifest.apiVersion).toMatch(/\S/);
      expect(manifest.kind).toMatch(/^[A-Z][A-Za-z]+$/);
    },
  );

  it('found the files it checks', () => {
    expect(ops.length).toBeGreaterThan(10);
    expect(chartObjects.map((d) => d.manifest.kind)).toEqual(['CustomResourceDefinition']);
  });
});

describe('ops/ kustomize files', () => {
  it.each(kustomizeFiles.map((d) => [d.file, d.manifest.resources ?? []] as const))(
    '%s lists resources that exist',
    (file, resources) => {
      expect(resources.length).toBeGreaterThan(0);
      const missing = resources.filter((r) => !existsSync(join(repoRoot, dirname(file), r)));
      expect(missing).toEqual([]);
    },
  );

  it('include every manifest of their directory, so that nothing is silently left out', () => {
    const unlisted = kustomizeFiles.flatMap(({ file, manifest }) => {
      const dir = join(repoRoot, dirname(file));
      return readdirSync(dir)
        .filter((name) => name !== 'kustomization.yaml')
        .filter((name) => !(manifest.resources ?? []).includes(name))
        .map((name) => relative(repoRoot, join(dir, name)));
    });
    expect(unlisted).toEqual([]);
  });
});

describe('ops/ Flux objects', () => {
  const clusterDirs = [...new Set(fluxKustomizations.map((d) => dirname(d.file)))].sort();
  const inCluster = (dir: string) => fluxKustomizations.filter((d) => dirname(d.file) === dir);

  it('has the cluster directories a real cluster (kind) and the local stack bootstrap on', () => {
    expect(clusterDirs).toEqual(['ops/clusters/kind', 'ops/clusters/local']);
  });

  it.each(fluxKustomizations.map((d) => [d.file, d.manifest.metadata?.name, d.manifest.spec ?? {}] as const))(
    '%s: Kustomization %s syncs an existing path and depends only on Kustomizations of its own cluster',
    (file, _name, spec) => {
      const path = spec.path as string;
      expect(path).toMatch(/^\.\/ops\//);
      expect(existsSync(join(repoRoot, path, 'kustomization.yaml'))).toBe(true);
      const names = inCluster(dirname(file)).map((d) => d.manifest.metadata?.name);
      for (const dependency of (spec.dependsOn ?? []) as { name: string }[]) {
        expect(names).toContain(dependency.name);
      }
    },
  );

  describe.each(clusterDirs)('%s', (dir) => {
    const experiments = inCluster(dir).find((d) => d.manifest.spec?.path === './ops/experiments');
    const spec = (experiments?.manifest.spec ?? {}) as {
      wait?: boolean;
      healthChecks?: unknown[];
      healthCheckExprs?: { apiVersion: string; kind: string; current: string; failed: string }[];
    };

    it('syncs ops/experiments and waits for every experiment to be Ready at its current generation', () => {
      expect(experiments).toBeDefined();
      // wait: true health-checks everything applied, so a new experiment needs no entry here.
      expect(spec.wait).toBe(true);
      expect(spec.healthChecks).toBeUndefined();
      const [expressions] = (spec.healthCheckExprs ?? []).filter((e) => e.kind === 'RatingExperiment');
      expect(expressions?.apiVersion).toBe('ratings.conglombo.io/v1alpha1');
      // Plain kstatus reads an experiment without status as Current: the expressions must ask for Ready.
      expect(expressions?.current).toMatch(/e\.type == 'Ready' && e\.status == 'True'/);
      expect(expressions?.current).toContain('e.observedGeneration == metadata.generation');
      expect(expressions?.failed).toContain("e.type == 'Stalled'");
    });

    it('uses the same health expressions as every other cluster directory', () => {
      const [first] = clusterDirs.map(
        (d) => inCluster(d).find((k) => k.manifest.spec?.path === './ops/experiments')?.manifest.spec,
      );
      expect(spec.healthCheckExprs).toEqual((first as typeof spec).healthCheckExprs);
    });
  });

  it('clusters/local installs the operator without waiting for Strimzi, which Flux cannot install there', () => {
    const local = inCluster('ops/clusters/local');
    const syncedPaths = local.map((d) => d.manifest.spec?.path);
    expect(syncedPaths.sort()).toEqual(['./ops/apps', './ops/experiments']);
    const apps = local.find((d) => d.manifest.spec?.path === './ops/apps')!.manifest.spec as {
      patches: { target: { kind: string; name: string }; patch: string }[];
    };
    const [patch] = apps.patches.filter((p) => p.target.kind === 'HelmRelease');
    expect(patch?.target.name).toBe('ratings-operator');
    const operations = loadAll(patch!.patch)[0] as { op: string; path: string; value?: unknown }[];
    expect(operations).toContainEqual({ op: 'remove', path: '/spec/dependsOn' });
    // The image the local node runs is chosen here, not deep inside ops/apps.
    expect(operations).toContainEqual({
      op: 'replace',
      path: '/spec/values/image',
      value: { repository: expect.any(String), tag: expect.any(String) },
    });
  });

  it('installs Strimzi from its OCI chart, not the deprecated Helm repository', () => {
    expect(ofKind('HelmRepository')).toEqual([]);
    const [repository] = ofKind('OCIRepository');
    expect(repository!.manifest.spec).toMatchObject({
      url: 'oci://quay.io/strimzi-helm/strimzi-kafka-operator',
      ref: { tag: expect.stringMatching(/^1\.\d+\.\d+$/) },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
    });
    const strimzi = ofKind('HelmRelease').find(
      (d) => d.manifest.metadata?.name === 'strimzi-kafka-operator',
    )!;
    expect(strimzi.manifest.spec?.chartRef).toEqual({
      kind: 'OCIRepository',
      name: repository!.manifest.metadata?.name,
      namespace: repository!.manifest.metadata?.namespace,
    });
  });

  it('installs the operator from the chart in this repository, after Strimzi', () => {
    const [release] = ofKind('HelmRelease').filter((d) => d.manifest.metadata?.name === 'ratings-operator');
    const spec = release!.manifest.spec as {
      chart: { spec: { chart: string; sourceRef: { kind: string; name: string } } };
      dependsOn: { name: string; namespace: string }[];
      values: { image: { tag: string } };
    };
    expect(spec.chart.spec.sourceRef).toMatchObject({ kind: 'GitRepository', name: 'flux-system' });
    expect(existsSync(join(repoRoot, spec.chart.spec.chart, 'Chart.yaml'))).toBe(true);
    const strimzi = ofKind('HelmRelease').find(
      (d) => d.manifest.metadata?.name === 'strimzi-kafka-operator',
    )!;
    expect(spec.dependsOn).toEqual([
      { name: 'strimzi-kafka-operator', namespace: strimzi.manifest.metadata?.namespace },
    ]);
    expect(spec.values.image.tag).toBe(chartMetadata().appVersion);
  });

  it('gives the sample experiment the Kafka cluster that infrastructure/ defines', () => {
    const [experiment] = ofKind('RatingExperiment');
    const [kafka] = ofKind('Kafka');
    expect(experiment!.manifest.spec?.kafka).toEqual({
      cluster: kafka!.manifest.metadata?.name,
      namespace: kafka!.manifest.metadata?.namespace,
    });
    const pools = ofKind('KafkaNodePool').map((d) => d.manifest);
    expect(
      pools.map((p) => (p.metadata as { labels?: Record<string, string> }).labels?.['strimzi.io/cluster']),
    ).toEqual([kafka!.manifest.metadata?.name]);
  });
});

function chartMetadata(): { apiVersion: string; name: string; version: string; appVersion: string } {
  const [chart] = loadAll(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
  return chart as ReturnType<typeof chartMetadata>;
}

describe('the chart metadata', () => {
  it('is an apiVersion v2 chart (read by Helm 3 and 4 alike) whose appVersion is the package version', () => {
    const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chartMetadata()).toMatchObject({
      apiVersion: 'v2',
      name: 'ratings-operator',
      appVersion: packageJson.version,
    });
  });

  it('has values that parse', () => {
    const [values] = loadAll(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    expect(values).toMatchObject({
      replicas: 2,
      image: { repository: 'ghcr.io/conglombo/ratings-operator' },
    });
  });
});

describe('the kind cluster of e2e/kind/cluster.yaml', () => {
  const cluster = kindConfig[0]!.manifest as unknown as {
    networking: { disableDefaultCNI?: boolean };
    nodes: { role: string }[];
    kubeadmConfigPatches: string[];
  };
  const patch = (kind: string): Record<string, unknown> =>
    cluster.kubeadmConfigPatches
      .map((text) => loadAll(text)[0] as { kind: string })
      .find((p) => p.kind === kind) as unknown as Record<string, unknown>;
  const pin = (goMod: string, module: string): string => {
    const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, '\\.')} (v\\S+)`, 'm').exec(
      readFileSync(join(repoRoot, goMod), 'utf8'),
    );
    if (match === null) throw new Error(`${goMod} does not pin ${module}`);
    return match[1]!;
  };
  // The Kubernetes pin moves from e2e/stack/components to e2e/stack/modules/kubernetes.
  const kubernetesGoMod = ['e2e/stack/modules/kubernetes/go.mod', 'e2e/stack/components/go.mod'].find((f) =>
    existsSync(join(repoRoot, f)),
  )!;

  it('is a control plane and three workers, with our pod network instead of kindnetd', () => {
    expect(cluster.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    expect(cluster.networking.disableDefaultCNI).toBe(true);
  });

  it('asks kubeadm for the etcd and CoreDNS tags that images/build.sh builds from the pins', () => {
    const clusterConfiguration = patch('ClusterConfiguration') as {
      etcd: { local: { imageTag: string } };
      dns: { imageTag: string };
    };
    const etcd = pin(kubernetesGoMod, 'go.etcd.io/etcd/server/v3');
    expect(clusterConfiguration.etcd.local.imageTag).toBe(`${etcd.slice(1)}-0`);
    expect(clusterConfiguration.dns.imageTag).toBe(
      pin('e2e/kind/images/coredns/go.mod', 'github.com/coredns/coredns'),
    );
  });

  it('lets the kubelet run on this cgroup v1 host', () => {
    expect(patch('KubeletConfiguration')).toMatchObject({ failCgroupV1: false });
  });
});

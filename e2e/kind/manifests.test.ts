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
  const names = fluxKustomizations.map((d) => d.manifest.metadata?.name);

  it.each(fluxKustomizations.map((d) => [d.manifest.metadata?.name, d.manifest.spec ?? {}] as const))(
    'Kustomization %s syncs an existing path of this repository and depends on defined Kustomizations',
    (_name, spec) => {
      const path = spec.path as string;
      expect(path).toMatch(/^\.\/ops\//);
      expect(existsSync(join(repoRoot, path, 'kustomization.yaml'))).toBe(true);
      for (const dependency of (spec.dependsOn ?? []) as { name: string }[]) {
        expect(names).toContain(dependency.name);
      }
    },
  );

  it('health-checks exactly the experiments that its own path defines', () => {
    const experiments = fluxKustomizations.find((d) => d.manifest.metadata?.name === 'experiments')!;
    const checks = experiments.manifest.spec?.healthChecks as {
      kind: string;
      name: string;
      namespace: string;
    }[];
    const path = (experiments.manifest.spec?.path as string).slice('./'.length);
    const defined = ops
      .filter((d) => d.file.startsWith(path) && d.manifest.kind === 'RatingExperiment')
      .map(({ manifest: m }) => `${m.kind}/${m.metadata?.namespace}/${m.metadata?.name}`);
    expect(defined.length).toBeGreaterThan(0);
    expect(checks.map((c) => `${c.kind}/${c.namespace}/${c.name}`).sort()).toEqual(defined.sort());
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
  it('is a Helm 3 chart whose appVersion is the package version', () => {
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
    expect(values).toMatchObject({ replicas: 2, image: { repository: 'ratings-operator' } });
  });
});

// Each Flux layer of ops/ through the real kustomize binary, and the layers whose kinds the local
// stack serves (the RatingExperiment CRD, the Strimzi fixtures) through its real API server.
// Flux's own kinds (HelmRelease, OCIRepository) are not served here: those layers are checked
// for what they build only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { dryRunApply, intoNamespace } from '../chart/api-server.ts';
import { ensureGoTool, HELM, KUSTOMIZE } from '../chart/go-tools.ts';
import { helmTemplate, parseManifests, stackKubernetesVersion } from '../chart/helm.ts';
import type { KubeObject } from '../chart/helm.ts';
import { useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { repoRoot } from '../stack/paths.ts';

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let kustomize: string;
let namespace: string;
let kubeVersion: string;
let scratch: string;

function build(layer: string): KubeObject[] {
  return parseManifests(
    execFileSync(kustomize, ['build', join(repoRoot, 'ops', layer)], { encoding: 'utf8' }),
  );
}

const kinds = (objects: KubeObject[]): string[] => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  namespace = await stack.newNamespace('ops');
  // The stack serves the Strimzi fixtures; the RatingExperiment CRD comes from this repository.
  await stack.installRatingsCrd();
  kubeVersion = stackKubernetesVersion();
  scratch = mkdtempSync(join(tmpdir(), 'ops-test-'));
  // Built from the Go module proxy on first use: minutes, then cached.
  kustomize = ensureGoTool(KUSTOMIZE);
}, 15 * 60_000);

afterAll(async () => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  await stack?.cleanup();
});

describe('ops/ layers built by kustomize', () => {
  it('infrastructure/controllers installs Strimzi from its OCI chart', () => {
    expect(kinds(build('infrastructure/controllers'))).toEqual([
      'HelmRelease/strimzi-kafka-operator',
      'Namespace/queuing',
      'OCIRepository/strimzi-kafka-operator',
    ]);
  });

  it('apps installs the operator into its own namespace, with values that the chart renders', () => {
    const objects = build('apps');
    expect(kinds(objects)).toEqual(['HelmRelease/ratings-operator', 'Namespace/ratings-operator-system']);
    const release = objects.find((o) => o.kind === 'HelmRelease') as unknown as {
      spec: { chart: { spec: { chart: string } }; values: { image: { repository: string; tag: string } } };
    };
    const valuesFile = join(scratch, 'ratings-operator-values.yaml');
    writeFileSync(valuesFile, JSON.stringify(release.spec.values));
    const rendered = helmTemplate(ensureGoTool(HELM), join(repoRoot, release.spec.chart.spec.chart), {
      release: 'ratings-operator',
      namespace: 'ratings-operator-system',
      kubeVersion,
      valuesFiles: [valuesFile],
    });
    const { image } = release.spec.values;
    expect(JSON.stringify(rendered.find((o) => o.kind === 'Deployment'))).toContain(
      `"image":"${image.repository}:${image.tag}"`,
    );
  });

  it('infrastructure/configs defines a Kafka and its node pool that the API server accepts', async () => {
    const objects = build('infrastructure/configs');
    expect(kinds(objects)).toEqual(['Kafka/kafka', 'KafkaNodePool/dual-role']);
    for (const object of objects)
      await expect(dryRunApply(objectApi, intoNamespace(object, namespace))).resolves.toBeDefined();
  }, 60_000);

  it('experiments defines RatingExperiments that the CRD admits', async () => {
    const objects = build('experiments');
    expect(kinds(objects)).toEqual(['Namespace/appdev', 'RatingExperiment/erb-voices']);
    for (const object of objects)
      await expect(dryRunApply(objectApi, intoNamespace(object, namespace))).resolves.toBeDefined();
    // The control: the CRD's validation is in force, so an invalid experiment is refused.
    const experiment = objects.find((o) => o.kind === 'RatingExperiment')!;
    const invalid = { ...experiment, spec: { ...(experiment.spec as object), topic: { partitions: 0 } } };
    await expect(dryRunApply(objectApi, intoNamespace(invalid, namespace))).rejects.toThrow(
      /spec\.topic\.partitions/,
    );
  }, 60_000);
});

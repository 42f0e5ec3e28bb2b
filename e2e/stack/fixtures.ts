// Installs the stand-in Strimzi fixtures into the local API server: the CRDs of
// e2e/fixtures/strimzi-crds.yaml, a Kafka `queuing/kafka`, and the bootstrap Service Strimzi
// would create (`kafka-kafka-bootstrap`), here without a selector and with an EndpointSlice
// naming the host broker's listener for pods. The Kafka's status lists that Service's DNS name,
// as Strimzi's does, so pods reach the broker as in a cluster. Skipped (one GET) when the Kafka
// already carries the hash of what would be applied.
//
// Also the cluster DNS Service (`kube-system/kube-dns`), backed the same way by the CoreDNS
// that runs on the host.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeClient } from '../../src/common/kube-client.ts';
import { loadCredentials } from '../../src/common/kube-credentials.ts';
import { resources, type KubeObject } from '../../src/common/kube-resources.ts';
import { kubectlPath, nodeNetwork, paths, repoRoot } from './paths.ts';

const execFileAsync = promisify(execFile);

export const strimziCrdsFile = join(repoRoot, 'e2e', 'fixtures', 'strimzi-crds.yaml');
export const KAFKA_NAMESPACE = 'queuing';
export const KAFKA_NAME = 'kafka';
/** Strimzi's name for a cluster's bootstrap Service, and its client port. */
export const KAFKA_BOOTSTRAP_SERVICE = `${KAFKA_NAME}-kafka-bootstrap`;
const KAFKA_SERVICE_PORT = 9092;
export const KAFKA_BOOTSTRAP_IN_CLUSTER = `${KAFKA_BOOTSTRAP_SERVICE}.${KAFKA_NAMESPACE}.svc:${KAFKA_SERVICE_PORT}`;

/** A Service without a selector and its EndpointSlice: the way to a process on the host. */
function hostBackedService(
  namespace: string,
  name: string,
  clusterIP: string | undefined,
  ports: { name: string; port: number; targetPort: number; protocol: 'TCP' | 'UDP' }[],
  labels: Record<string, string>,
): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, labels },
      spec: {
        ...(clusterIP === undefined ? {} : { clusterIP }),
        ports: ports.map(({ name: n, port, targetPort, protocol }) => ({
          name: n,
          port,
          targetPort,
          protocol,
        })),
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-host`,
        namespace,
        labels: {
          ...labels,
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': 'ratings-stack',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [nodeNetwork.gateway], conditions: { ready: true } }],
      ports: ports.map(({ name: n, targetPort, protocol }) => ({ name: n, port: targetPort, protocol })),
    },
  ];
}
const HASH_ANNOTATION = 'stack.ratings.local/fixtures-hash';

async function kubectl(args: string[], input?: string): Promise<string> {
  const run = execFileAsync(kubectlPath(), ['--kubeconfig', paths.kubeconfig, ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) {
    run.child.stdin?.end(input);
  }
  try {
    return (await run).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

function kafkaManifest(hash: string, kafkaPodsPort: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KAFKA_NAMESPACE } },
      ...hostBackedService(
        KAFKA_NAMESPACE,
        KAFKA_BOOTSTRAP_SERVICE,
        undefined,
        [{ name: 'tcp-clients', port: KAFKA_SERVICE_PORT, targetPort: kafkaPodsPort, protocol: 'TCP' }],
        { 'strimzi.io/cluster': KAFKA_NAME, 'strimzi.io/kind': 'Kafka', app: 'strimzi-stand-in' },
      ),
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'Kafka',
        metadata: {
          name: KAFKA_NAME,
          namespace: KAFKA_NAMESPACE,
          labels: { app: 'strimzi-stand-in' },
          annotations: {
            [HASH_ANNOTATION]: hash,
            'stack.ratings.local/note':
              'stand-in for the local stack: the broker is a local process, not Strimzi',
          },
        },
        spec: {
          kafka: {
            listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false }],
            config: {
              'offsets.topic.replication.factor': 1,
              'transaction.state.log.replication.factor': 1,
              'transaction.state.log.min.isr': 1,
            },
          },
        },
      },
    ],
  });
}

function kafkaStatus(): object {
  return {
    status: {
      observedGeneration: 1,
      listeners: [
        {
          name: 'plain',
          type: 'internal',
          bootstrapServers: KAFKA_BOOTSTRAP_IN_CLUSTER,
          addresses: [
            { host: `${KAFKA_BOOTSTRAP_SERVICE}.${KAFKA_NAMESPACE}.svc`, port: KAFKA_SERVICE_PORT },
          ],
        },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'LocalStack',
          message: 'stand-in Kafka of the local stack',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  };
}

async function currentHash(): Promise<string | undefined> {
  const client = new KubeClient(loadCredentials({ KUBECONFIG: paths.kubeconfig }));
  try {
    const kafka = await client.get<KubeObject & { status?: { listeners?: unknown[] } }>(
      resources.kafka,
      KAFKA_NAMESPACE,
      KAFKA_NAME,
    );
    if (kafka?.status?.listeners === undefined) return undefined;
    return kafka.metadata?.annotations?.[HASH_ANNOTATION];
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

/** Applies the fixtures unless they are already in place; returns whether it applied them. */
export async function ensureStrimziFixtures(kafkaPodsPort: number): Promise<boolean> {
  const crds = readFileSync(strimziCrdsFile, 'utf8');
  const hash = createHash('sha256')
    .update(crds)
    .update(`\0${kafkaPodsPort}\0${nodeNetwork.gateway}\0${kafkaManifest('', kafkaPodsPort)}`)
    .digest('hex')
    .slice(0, 32);
  if ((await currentHash()) === hash) return false;
  await kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=ratings-stack',
    '-f',
    strimziCrdsFile,
  ]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/kafkas.kafka.strimzi.io',
    'crd/kafkanodepools.kafka.strimzi.io',
    'crd/kafkatopics.kafka.strimzi.io',
  ]);
  await kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=ratings-stack', '-f', '-'],
    kafkaManifest(hash, kafkaPodsPort),
  );
  await kubectl([
    'patch',
    'kafka',
    KAFKA_NAME,
    '-n',
    KAFKA_NAMESPACE,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(kafkaStatus()),
  ]);
  return true;
}

/** The cluster DNS Service at the kubelet's clusterDNS address, backed by CoreDNS on the gateway. */
export async function ensureClusterDns(): Promise<void> {
  const objects = hostBackedService(
    'kube-system',
    'kube-dns',
    nodeNetwork.dnsServiceIp,
    [
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
    ],
    { 'k8s-app': 'kube-dns' },
  );
  await kubectl(
    ['apply', '--server-side', '--force-conflicts', '--field-manager=ratings-stack', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
}

// Installs the stand-in Strimzi fixtures into the local API server: the CRDs of
// e2e/fixtures/strimzi-crds.yaml, and a Kafka `queuing/kafka` whose status points at the local
// broker. Skipped (one GET) when the Kafka already carries the hash of what would be applied.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { kubectlPath, paths, repoRoot } from './paths.ts';

const execFileAsync = promisify(execFile);

export const strimziCrdsFile = join(repoRoot, 'e2e', 'fixtures', 'strimzi-crds.yaml');
export const KAFKA_NAMESPACE = 'queuing';
export const KAFKA_NAME = 'kafka';
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

function kafkaManifest(hash: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KAFKA_NAMESPACE } },
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

function kafkaStatus(kafkaPort: number): object {
  return {
    status: {
      observedGeneration: 1,
      listeners: [
        {
          name: 'plain',
          type: 'internal',
          bootstrapServers: `127.0.0.1:${kafkaPort}`,
          addresses: [{ host: '127.0.0.1', port: kafkaPort }],
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
  const kc = new KubeConfig();
  kc.loadFromFile(paths.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    const kafka = (await api.getNamespacedCustomObject({
      group: 'kafka.strimzi.io',
      version: 'v1',
      namespace: KAFKA_NAMESPACE,
      plural: 'kafkas',
      name: KAFKA_NAME,
    })) as { metadata?: { annotations?: Record<string, string> }; status?: { listeners?: unknown[] } };
    if (kafka.status?.listeners === undefined) return undefined;
    return kafka.metadata?.annotations?.[HASH_ANNOTATION];
  } catch {
    return undefined;
  }
}

/** Applies the fixtures unless they are already in place; returns whether it applied them. */
export async function ensureStrimziFixtures(kafkaPort: number): Promise<boolean> {
  const crds = readFileSync(strimziCrdsFile, 'utf8');
  const hash = createHash('sha256').update(crds).update(`\0${kafkaPort}`).digest('hex').slice(0, 32);
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
    kafkaManifest(hash),
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
    JSON.stringify(kafkaStatus(kafkaPort)),
  ]);
  return true;
}

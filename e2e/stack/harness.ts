// Jest helper for integration suites: a handle on the local stack.
//
//   const stack = await useStack();            // brings the stack up if it is not running
//   const ns = await stack.newNamespace('crd'); // fresh namespace, deleted by cleanup()
//   const admin = await stack.kafkaAdmin();     // connected kafkajs admin, disconnected by cleanup()
//   await stack.installRatingsCrd();            // the CRD of crds/, as the API server serves it
//   afterAll(() => stack.cleanup());
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, KafkaMessage } from 'kafkajs';
import { crdPath } from '../../src/api/crd.ts';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../../src/api/v1alpha1.ts';
import type { RatingExperiment, RatingExperimentSpec } from '../../src/api/v1alpha1.ts';
import { KAFKA_NAME, KAFKA_NAMESPACE } from './fixtures.ts';
import { eventually } from './eventually.ts';
import { kubectlPath } from './paths.ts';
import { ensureStack } from './stack.ts';
import type { StackEnv } from './stack.ts';

export type StackHandle = {
  env: StackEnv;
  /** Admin credentials (O=system:masters) for the local API server. */
  kubeConfig: KubeConfig;
  kafkaBootstrap: string;
  prometheusUrl: string;
  /** A kafkajs client for the local broker (logs only errors). */
  kafka: Kafka;
  /** A connected kafkajs admin; cleanup() disconnects it. */
  kafkaAdmin(): Promise<Admin>;
  /** Creates a namespace `<prefix>-<random>`; cleanup() deletes it. */
  newNamespace(prefix: string): Promise<string>;
  /** installRatingsCrd() with the admin kubeconfig. */
  installRatingsCrd(): Promise<void>;
  /** Registers a function for cleanup() to run (last registered, first run). */
  onCleanup(fn: () => Promise<void> | void): void;
  cleanup(): Promise<void>;
};

/** A short random suffix usable in Kubernetes names and Kafka topics. */
export function randomSuffix(length = 6): string {
  return randomBytes(8).toString('hex').slice(0, Math.max(1, length));
}

const run = promisify(execFile);

/**
 * Creates a RatingExperiment whose Kafka reference is the stack's `Kafka` unless `spec` names
 * another; the API server fills in the CRD's defaults (install it first).
 */
export async function createRatingExperiment(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
  spec: Partial<RatingExperimentSpec> = {},
  labels: Readonly<Record<string, string>> = {},
): Promise<RatingExperiment> {
  return (await kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ref.namespace,
    plural: PLURAL,
    body: {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: ref.name, namespace: ref.namespace, labels: { ...labels } },
      spec: { kafka: { cluster: KAFKA_NAME, namespace: KAFKA_NAMESPACE }, ...spec },
    },
  })) as RatingExperiment;
}

/**
 * A RatingExperiment (createRatingExperiment) on a Kafka topic created here first, named and
 * partitioned as its spec.topic says; stack.cleanup() deletes the topic.
 */
export async function createExperimentWithTopic(
  stack: StackHandle,
  ref: { namespace: string; name: string },
  spec: Partial<RatingExperimentSpec> & { topic: { name: string; partitions: number } },
  labels?: Readonly<Record<string, string>>,
): Promise<RatingExperiment> {
  const { name: topic, partitions } = spec.topic;
  const admin = await stack.kafkaAdmin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  stack.onCleanup(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
  return createRatingExperiment(stack.kubeConfig, ref, spec, labels);
}

/** Merge-patches a RatingExperiment (as `kubectl patch --type merge` does), e.g. `{ spec: … }`. */
export async function mergePatchRatingExperiment(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
  body: object,
): Promise<void> {
  await kubeConfig
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: ref.namespace, plural: PLURAL, name: ref.name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}

/**
 * Every record of `topic` from its beginning, appended to the returned array as it arrives, read
 * by a consumer group of its own; stack.cleanup() disconnects it.
 */
export async function readTopic(stack: StackHandle, topic: string): Promise<KafkaMessage[]> {
  const consumer = stack.kafka.consumer({ groupId: `${topic}-reader-${randomSuffix()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  stack.onCleanup(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  return messages;
}

/**
 * Server-side applies the RatingExperiment CRD of crds/ and waits until its schema is served.
 * Through kubectl, because @kubernetes/client-node's typed models drop the schema's `default`s.
 */
export async function installRatingsCrd(kubeconfigPath: string): Promise<void> {
  const kubectl = async (...args: string[]) =>
    (await run(kubectlPath(), ['--kubeconfig', kubeconfigPath, ...args])).stdout.trim();
  const version = () =>
    kubectl('get', '-f', crdPath(), '--ignore-not-found', '-o', 'jsonpath={.metadata.resourceVersion}');
  const before = await version();
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=integration-tests',
    '-f',
    crdPath(),
  );
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', '-f', crdPath());
  // A changed CRD re-initialises its storage after Established: lists answer 429 "storage is
  // (re)initializing" until it is done, and a changed schema reaches the serving handlers late.
  if (before !== (await version())) await crdServing(kubeconfigPath);
}

/**
 * Resolves once the API server serves RatingExperiments again: a list succeeds, twice a second
 * apart (the first answer may still come from the handler of the schema before).
 */
export async function crdServing(kubeconfigPath: string): Promise<void> {
  const list = () =>
    run(kubectlPath(), [
      '--kubeconfig',
      kubeconfigPath,
      'get',
      `${PLURAL}.${GROUP}`,
      '--all-namespaces',
      '--request-timeout=5s',
      '-o',
      'name',
    ]);
  await eventually('the API server to serve RatingExperiments', list, { intervalMs: 500 });
  await new Promise((r) => setTimeout(r, 1000));
  await eventually('the API server to serve RatingExperiments', list, { intervalMs: 500 });
}

export async function useStack(): Promise<StackHandle> {
  const { env } = await ensureStack({ quiet: true });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.KUBECONFIG);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const kafka = new Kafka({
    clientId: 'integration-test',
    brokers: env.KAFKA_BOOTSTRAP_SERVERS.split(','),
    logLevel: logLevel.ERROR,
  });
  const cleanups: (() => Promise<void> | void)[] = [];

  return {
    env,
    kubeConfig,
    kafkaBootstrap: env.KAFKA_BOOTSTRAP_SERVERS,
    prometheusUrl: env.PROMETHEUS_URL,
    kafka,
    async kafkaAdmin() {
      const admin = kafka.admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      return admin;
    },
    async newNamespace(prefix: string) {
      const base = prefix
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 50);
      const name = `${base}-${randomSuffix()}`;
      await core.createNamespace({
        body: { metadata: { name, labels: { 'stack.ratings.local/test': 'true' } } },
      });
      cleanups.push(async () => {
        await core.deleteNamespace({ name }).catch(() => undefined);
      });
      return name;
    },
    installRatingsCrd: () => installRatingsCrd(env.KUBECONFIG),
    onCleanup(fn) {
      cleanups.push(fn);
    },
    async cleanup() {
      const errors: unknown[] = [];
      while (cleanups.length > 0) {
        const fn = cleanups.pop();
        try {
          await fn?.();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'stack cleanup failed');
    },
  };
}

// Where the pods find Kafka: the spec's override, else the Strimzi Kafka resource's listeners.
import type { RatingExperiment } from '../api/v1alpha1.ts';
import { Reason } from '../api/v1alpha1.ts';
import type { Kafka, KafkaListenerStatus } from './strimzi.ts';

export type BootstrapResult =
  | { ok: true; bootstrapServers: string; source: 'spec' | 'listener'; listener?: string }
  | { ok: false; reason: typeof Reason.KafkaNotFound | typeof Reason.BootstrapUnresolved; message: string };

/** Listener names preferred, in order, when spec.kafka.listener names none. */
const PREFERRED_LISTENERS = ['plain', 'internal'];

function address(listener: KafkaListenerStatus): string | undefined {
  if (listener.bootstrapServers) return listener.bootstrapServers;
  const hosts = (listener.addresses ?? [])
    .filter((a) => a.host && a.port !== undefined)
    .map((a) => `${a.host}:${a.port}`);
  return hosts.length > 0 ? hosts.join(',') : undefined;
}

/**
 * The bootstrap servers for an experiment: `spec.kafka.bootstrapServers` when set (the Kafka
 * resource is then not needed); otherwise from `kafka.status.listeners`, the one named by
 * `spec.kafka.listener`, else a plain (non-TLS) internal listener, else the first one.
 */
export function resolveBootstrap(
  exp: Pick<RatingExperiment, 'spec'>,
  kafka: Kafka | undefined,
): BootstrapResult {
  const kafkaSpec = exp.spec.kafka;
  if (kafkaSpec.bootstrapServers) {
    return { ok: true, bootstrapServers: kafkaSpec.bootstrapServers, source: 'spec' };
  }
  const ref = `Kafka ${kafkaSpec.namespace}/${kafkaSpec.cluster}`;
  if (kafka === undefined) {
    return {
      ok: false,
      reason: Reason.KafkaNotFound,
      message:
        `${ref} not found: create it, correct spec.kafka.cluster and spec.kafka.namespace, ` +
        'or set spec.kafka.bootstrapServers for a cluster that Strimzi does not manage',
    };
  }
  const listeners = (kafka.status?.listeners ?? []).filter((l) => address(l) !== undefined);
  const names = listeners.map((l) => l.name ?? '?').join(', ');
  if (listeners.length === 0) {
    return {
      ok: false,
      reason: Reason.BootstrapUnresolved,
      message: `${ref} reports no listener addresses in status.listeners yet; is the cluster Ready?`,
    };
  }

  const chosen =
    kafkaSpec.listener === undefined
      ? defaultListener(kafka, listeners)
      : listeners.find((l) => l.name === kafkaSpec.listener);
  if (chosen === undefined && kafkaSpec.listener !== undefined) {
    return {
      ok: false,
      reason: Reason.BootstrapUnresolved,
      message: `${ref} has no listener "${kafkaSpec.listener}" in status.listeners (it has: ${names}); correct spec.kafka.listener`,
    };
  }
  const bootstrapServers = chosen && address(chosen);
  if (chosen === undefined || bootstrapServers === undefined) {
    return { ok: false, reason: Reason.BootstrapUnresolved, message: `${ref} has no usable listener` };
  }
  return {
    ok: true,
    bootstrapServers,
    source: 'listener',
    ...(chosen.name !== undefined && { listener: chosen.name }),
  };
}

/** A plain internal listener by the Kafka's spec, else a preferred name that is not TLS, else the first. */
function defaultListener(kafka: Kafka, listeners: KafkaListenerStatus[]): KafkaListenerStatus | undefined {
  const specs = kafka.spec?.kafka?.listeners ?? [];
  const plainInternal = new Set(
    specs.filter((s) => s.tls !== true && s.type === 'internal').map((s) => s.name),
  );
  const tls = new Set(specs.filter((s) => s.tls === true).map((s) => s.name));
  return (
    listeners.find((l) => l.name !== undefined && plainInternal.has(l.name)) ??
    PREFERRED_LISTENERS.map((n) => listeners.find((l) => l.name === n && !tls.has(n))).find((l) => l) ??
    listeners[0]
  );
}

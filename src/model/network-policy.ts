// The NetworkPolicy an experiment's data-plane pods get when the operator runs with the option on
// (DATA_PLANE_NETWORK_POLICY=true, chart value networkPolicy.enabled). The pods live in the
// experiment's namespace, which no static manifest can know, so the controller applies it with
// the other children, owned by the experiment. It admits traffic to the pods' HTTP port only, and
// lets them reach DNS, the API server and their Kafka cluster, nothing else.
import type {
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
  V1OwnerReference,
} from '@kubernetes/client-node';
import { APP_NAME, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME, labels } from './names.ts';
import type { ResolvedSpec } from './spec.ts';

/** Where the API server answers: its endpoint addresses (CIDRs) and ports. */
export interface ApiServerEndpoints {
  cidrs: string[];
  ports: number[];
}

export interface NetworkPolicyOptions {
  apiServer: ApiServerEndpoints;
  /** The data-plane HTTP port (API, UI, probes, /metrics). */
  httpPort: number;
  /** The resolved bootstrap servers, `host:port,…`. */
  bootstrapServers: string;
  /** Whether they came from the Strimzi Kafka resource (its broker pods carry strimzi.io/cluster). */
  strimziManaged: boolean;
}

export const dataPlanePolicyName = (name: string): string => `${name}-data-plane`;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The host and port of each `host:port` (IPv6 literals in brackets); throws on a bad entry. */
export function bootstrapAddresses(bootstrapServers: string): { host: string; port: number }[] {
  return bootstrapServers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
      const port = match === null ? NaN : Number(match[2]);
      if (match === null || port < 1 || port > 65535) throw new Error(`bad bootstrap address "${entry}"`);
      return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
    });
}

/** The /32 (or /128) block of an IP literal; undefined for a DNS name. */
function ipBlockOf(host: string): string | undefined {
  const v4 = IPV4.exec(host);
  if (v4 !== null && v4.slice(1).every((o) => Number(o) <= 255)) return `${host}/32`;
  if (host.includes(':')) return `${host}/128`;
  return undefined;
}

const tcp = (port: number): V1NetworkPolicyPort => ({ protocol: 'TCP', port });

/**
 * Egress to Kafka. A Strimzi cluster's brokers are its pods labelled strimzi.io/cluster in its
 * namespace, on the listener's port. An override of IP literals is allowed as those addresses.
 * An override naming hosts by DNS cannot be expressed as peers (the names resolve to anything),
 * so its ports are allowed to any destination: the README says so.
 */
function kafkaEgress(spec: ResolvedSpec, options: NetworkPolicyOptions) {
  const addresses = bootstrapAddresses(options.bootstrapServers);
  const ports = [...new Set(addresses.map((a) => a.port))].sort((a, b) => a - b).map(tcp);
  if (options.strimziManaged) {
    return [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.kafka.namespace } },
            podSelector: { matchLabels: { 'strimzi.io/cluster': spec.kafka.cluster } },
          },
        ],
        ports,
      },
    ];
  }
  const blocks = addresses.map((a) => ipBlockOf(a.host));
  if (blocks.every((b) => b !== undefined)) {
    const peers: V1NetworkPolicyPeer[] = [...new Set(blocks)].sort().map((cidr) => ({ ipBlock: { cidr } }));
    return [{ to: peers, ports }];
  }
  return [{ ports }];
}

/** The data-plane pods' NetworkPolicy: ingress on the HTTP port; egress to DNS, API server, Kafka. */
export function desiredNetworkPolicy(
  ref: { namespace: string; name: string },
  owner: V1OwnerReference,
  spec: ResolvedSpec,
  options: NetworkPolicyOptions,
): V1NetworkPolicy {
  const apiPorts = [...new Set(options.apiServer.ports)].sort((a, b) => a - b).map(tcp);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: dataPlanePolicyName(ref.name),
      namespace: ref.namespace,
      labels: labels(ref.name, 'network'),
      ownerReferences: [owner],
    },
    spec: {
      podSelector: {
        matchLabels: { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: ref.name },
        matchExpressions: [{ key: LABEL_COMPONENT, operator: 'In', values: ['consumer', 'producer'] }],
      },
      policyTypes: ['Ingress', 'Egress'],
      // Researchers, Prometheus and the probes all use the one HTTP port.
      ingress: [{ ports: [tcp(options.httpPort)] }],
      egress: [
        // DNS, wherever the cluster runs it (a Service, node-local caches).
        { ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] },
        {
          to: [...new Set(options.apiServer.cidrs)].sort().map((cidr) => ({ ipBlock: { cidr } })),
          ports: apiPorts,
        },
        ...kafkaEgress(spec, options),
      ],
    },
  };
}

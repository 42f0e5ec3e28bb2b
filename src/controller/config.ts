// The controller's configuration, from the environment (see config/manager for the values a
// Deployment sets): OPERATOR_IMAGE (required), POD_NAME (required, the leader-election
// identity), LEADER_ELECTION_NAMESPACE (required unless LEADER_ELECT=false, for a single
// replica run by hand), LEASE_NAME, LEASE_DURATION_SECONDS, RENEW_DEADLINE_SECONDS,
// RETRY_PERIOD_SECONDS, TERMINAL_RETRY_SECONDS, WATCH_NAMESPACE, PORT, MAX_CONCURRENT_RECONCILES, RESYNC_SECONDS,
// KUBE_REQUEST_TIMEOUT_MS, DATA_PLANE_NETWORK_POLICY with API_SERVER_CIDRS and API_SERVER_PORTS,
// INTAKE_REVIEWER_CLUSTER_ROLE, METRICS_PORT, METRICS_CERT_DIR, METRICS_SECURE. LOG_LEVEL is read
// by the logger.
import { EnvReader } from '../common/env.ts';
import { readKubeRequestTimeout } from '../common/kube-request.ts';
import { INTAKE_REVIEWER_CLUSTER_ROLE } from '../model/access.ts';
import type { ApiServerEndpoints } from '../model/index.ts';

export interface ControllerConfig {
  /** The image of the producer and consumer pods (spec.image overrides it per experiment). */
  image: string;
  /** Only experiments in this namespace; all namespaces when undefined. */
  watchNamespace?: string;
  /** Plain HTTP: /healthz and /readyz, for the kubelet. */
  port: number;
  /** HTTPS with authentication and authorization: /metrics (metrics-server.ts). */
  metrics: {
    port: number;
    certDir?: string;
    /**
     * false (METRICS_SECURE=false): plain HTTP without authentication, on 127.0.0.1 only, for local
     * runs whose Prometheus holds no credentials (as kubebuilder's --metrics-secure=false).
     */
    secure: boolean;
  };
  podName: string;
  maxConcurrentReconciles: number;
  /** Seconds between re-checks of every experiment, a safety net for missed events. */
  resyncSeconds: number;
  /** Seconds before a reconcile the API server refused (a terminal error) is tried again. */
  terminalRetrySeconds: number;
  /** The deadline of every request to the API server but watches. */
  requestTimeoutMs: number;
  /**
   * Set when every experiment's data-plane pods get a NetworkPolicy (DATA_PLANE_NETWORK_POLICY=true):
   * the API server's endpoint addresses and ports the pods may reach.
   */
  networkPolicy?: { apiServer: ApiServerEndpoints };
  /** The ClusterRole (allowing TokenReviews) bound to the ServiceAccount of an authenticating intake. */
  intakeReviewerClusterRole: string;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    leaseName: string;
    /** As client-go: retryPeriod < renewDeadline < leaseDuration, so a leader that cannot renew stops before its lease can be taken. */
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
}

export function readConfig(env: Record<string, string | undefined> = process.env): ControllerConfig {
  const r = new EnvReader(env);
  const image = r.string('OPERATOR_IMAGE');
  if (image !== '' && !/^[^\s]+$/.test(image))
    r.fail(`OPERATOR_IMAGE must be an image reference, got "${image}"`);
  const watchNamespace = r.optionalString('WATCH_NAMESPACE');
  if (watchNamespace !== undefined) r.kubernetesName('WATCH_NAMESPACE');
  const enabled = r.optionalString('LEADER_ELECT') !== 'false';
  const leaderNamespace = enabled ? r.kubernetesName('LEADER_ELECTION_NAMESPACE') : '';
  const networkPolicy = readNetworkPolicy(r);
  const config: ControllerConfig = {
    image,
    watchNamespace,
    port: r.integer('PORT', 8080, { min: 0, max: 65535 }),
    metrics: {
      port: r.integer('METRICS_PORT', 8443, { min: 0, max: 65535 }),
      certDir: r.optionalString('METRICS_CERT_DIR'),
      secure: r.optionalString('METRICS_SECURE') !== 'false',
    },
    podName: r.kubernetesName('POD_NAME'),
    maxConcurrentReconciles: r.integer('MAX_CONCURRENT_RECONCILES', 4, { min: 1, max: 64 }),
    resyncSeconds: r.integer('RESYNC_SECONDS', 600, { min: 0, max: 86_400 }),
    terminalRetrySeconds: r.integer('TERMINAL_RETRY_SECONDS', 120, { min: 1, max: 86_400 }),
    requestTimeoutMs: readKubeRequestTimeout(r),
    ...(networkPolicy !== undefined && { networkPolicy }),
    intakeReviewerClusterRole: r.string('INTAKE_REVIEWER_CLUSTER_ROLE', INTAKE_REVIEWER_CLUSTER_ROLE),
    leaderElection: {
      enabled,
      namespace: leaderNamespace,
      leaseName: enabled ? r.kubernetesName('LEASE_NAME', 'ratings-operator-leader') : '',
      leaseDurationSeconds: r.integer('LEASE_DURATION_SECONDS', 15, { min: 2, max: 3_600 }),
      renewDeadlineSeconds: r.integer('RENEW_DEADLINE_SECONDS', 10, { min: 1, max: 3_600 }),
      retryPeriodSeconds: r.integer('RETRY_PERIOD_SECONDS', 2, { min: 1, max: 3_600 }),
    },
  };
  const { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } = config.leaderElection;
  if (renewDeadlineSeconds >= leaseDurationSeconds) {
    r.fail(
      `RENEW_DEADLINE_SECONDS (${renewDeadlineSeconds}) must be less than LEASE_DURATION_SECONDS (${leaseDurationSeconds})`,
    );
  }
  if (retryPeriodSeconds >= renewDeadlineSeconds) {
    r.fail(
      `RETRY_PERIOD_SECONDS (${retryPeriodSeconds}) must be less than RENEW_DEADLINE_SECONDS (${renewDeadlineSeconds})`,
    );
  }
  r.done();
  return config;
}

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

/**
 * The NetworkPolicy option. The API server is outside the pod network, so a policy can only
 * name it by address: its endpoints (`kubectl get endpointslices -n default -l
 * kubernetes.io/service-name=kubernetes`), plus the `kubernetes` Service's ClusterIP for
 * plugins that match before translating it.
 */
function readNetworkPolicy(r: EnvReader): { apiServer: ApiServerEndpoints } | undefined {
  if (!r.boolean('DATA_PLANE_NETWORK_POLICY', false)) return undefined;
  const list = (name: string) =>
    (r.optionalString(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const cidrs = list('API_SERVER_CIDRS');
  if (cidrs.length === 0)
    r.fail(
      'API_SERVER_CIDRS is required with DATA_PLANE_NETWORK_POLICY=true (the API server addresses, as CIDRs)',
    );
  const badCidrs = cidrs.filter((c) => !CIDR.test(c));
  if (badCidrs.length > 0) r.fail(`API_SERVER_CIDRS must be CIDRs, bad entries: ${badCidrs.join(', ')}`);
  const rawPorts =
    r.optionalString('API_SERVER_PORTS') === undefined ? ['443', '6443'] : list('API_SERVER_PORTS');
  const ports = rawPorts.map(Number);
  const badPorts = rawPorts.filter(
    (_, i) => !Number.isInteger(ports[i]) || ports[i]! < 1 || ports[i]! > 65535,
  );
  if (badPorts.length > 0 || ports.length === 0)
    r.fail(`API_SERVER_PORTS must be ports in [1, 65535], got "${rawPorts.join(',')}"`);
  return { apiServer: { cidrs, ports } };
}

// The controller's configuration, from the environment (see config/manager for the values a
// Deployment sets): OPERATOR_IMAGE (required), POD_NAME (required, the leader-election
// identity), LEADER_ELECTION_NAMESPACE (required unless LEADER_ELECT=false, for a single
// replica run by hand), LEASE_NAME, WATCH_NAMESPACE, PORT, MAX_CONCURRENT_RECONCILES,
// RESYNC_SECONDS. LOG_LEVEL is read by the logger.
import { EnvReader } from '../common/env.ts';

export interface ControllerConfig {
  /** The image of the producer and consumer pods (spec.image overrides it per experiment). */
  image: string;
  /** Only experiments in this namespace; all namespaces when undefined. */
  watchNamespace?: string;
  port: number;
  podName: string;
  maxConcurrentReconciles: number;
  /** Seconds between re-checks of every experiment, a safety net for missed events. */
  resyncSeconds: number;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    leaseName: string;
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
  const config: ControllerConfig = {
    image,
    watchNamespace,
    port: r.integer('PORT', 8080, { min: 0, max: 65535 }),
    podName: r.kubernetesName('POD_NAME'),
    maxConcurrentReconciles: r.integer('MAX_CONCURRENT_RECONCILES', 4, { min: 1, max: 64 }),
    resyncSeconds: r.integer('RESYNC_SECONDS', 600, { min: 0, max: 86_400 }),
    leaderElection: {
      enabled,
      namespace: leaderNamespace,
      leaseName: enabled ? r.kubernetesName('LEASE_NAME', 'ratings-operator-leader') : '',
    },
  };
  r.done();
  return config;
}

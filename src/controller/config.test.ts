import { ConfigError } from '../common/env.ts';
import { readConfig } from './config.ts';

const base = {
  OPERATOR_IMAGE: 'ghcr.io/conglombo/ratings-operator:1.0.0',
  POD_NAME: 'ratings-operator-abc',
  LEADER_ELECTION_NAMESPACE: 'ratings-operator-system',
};

describe('readConfig', () => {
  it('applies defaults', () => {
    expect(readConfig(base)).toEqual({
      image: base.OPERATOR_IMAGE,
      watchNamespace: undefined,
      port: 8080,
      metrics: { port: 8443, certDir: undefined, secure: true },
      podName: base.POD_NAME,
      maxConcurrentReconciles: 4,
      resyncSeconds: 600,
      terminalRetrySeconds: 120,
      requestTimeoutMs: 15_000,
      intakeReviewerClusterRole: 'ratings-operator-intake-reviewer',
      leaderElection: {
        enabled: true,
        namespace: base.LEADER_ELECTION_NAMESPACE,
        leaseName: 'ratings-operator-leader',
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
    });
  });

  it('reads every setting', () => {
    const config = readConfig({
      ...base,
      WATCH_NAMESPACE: 'appdev',
      PORT: '9000',
      MAX_CONCURRENT_RECONCILES: '16',
      RESYNC_SECONDS: '0',
      LEASE_NAME: 'other',
      KUBE_REQUEST_TIMEOUT_MS: '5000',
      LEASE_DURATION_SECONDS: '30',
      RENEW_DEADLINE_SECONDS: '20',
      RETRY_PERIOD_SECONDS: '5',
    });
    expect(config).toMatchObject({
      watchNamespace: 'appdev',
      port: 9000,
      maxConcurrentReconciles: 16,
      resyncSeconds: 0,
      requestTimeoutMs: 5000,
      leaderElection: {
        leaseName: 'other',
        leaseDurationSeconds: 30,
        renewDeadlineSeconds: 20,
        retryPeriodSeconds: 5,
      },
    });
  });

  it('refuses a renew deadline that is not shorter than the lease, and a retry period not shorter than the deadline', () => {
    expect(() => readConfig({ ...base, LEASE_DURATION_SECONDS: '10', RENEW_DEADLINE_SECONDS: '10' })).toThrow(
      'RENEW_DEADLINE_SECONDS (10) must be less than LEASE_DURATION_SECONDS (10)',
    );
    expect(() => readConfig({ ...base, RENEW_DEADLINE_SECONDS: '3', RETRY_PERIOD_SECONDS: '3' })).toThrow(
      'RETRY_PERIOD_SECONDS (3) must be less than RENEW_DEADLINE_SECONDS (3)',
    );
  });

  it('refuses a request deadline under a second', () => {
    expect(() => readConfig({ ...base, KUBE_REQUEST_TIMEOUT_MS: '10' })).toThrow('KUBE_REQUEST_TIMEOUT_MS');
  });

  it('needs no lease namespace when leader election is off', () => {
    const config = readConfig({ ...base, LEADER_ELECTION_NAMESPACE: undefined, LEADER_ELECT: 'false' });
    expect(config.leaderElection.enabled).toBe(false);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      readConfig({ MAX_CONCURRENT_RECONCILES: '0', WATCH_NAMESPACE: 'Bad_NS' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'OPERATOR_IMAGE is required',
      'WATCH_NAMESPACE must be a lowercase DNS-1123 name, got "Bad_NS"',
      'LEADER_ELECTION_NAMESPACE is required',
      'POD_NAME is required',
      'MAX_CONCURRENT_RECONCILES must be an integer in [1, 64], got "0"',
    ]);
  });
  describe('the data-plane NetworkPolicy option', () => {
    it('is off by default', () => {
      expect(readConfig(base).networkPolicy).toBeUndefined();
      expect(readConfig({ ...base, DATA_PLANE_NETWORK_POLICY: 'false' }).networkPolicy).toBeUndefined();
    });

    it('reads the API server addresses, with the usual ports by default', () => {
      expect(
        readConfig({
          ...base,
          DATA_PLANE_NETWORK_POLICY: 'true',
          API_SERVER_CIDRS: '10.0.0.1/32, 172.18.0.2/32',
        }).networkPolicy,
      ).toEqual({ apiServer: { cidrs: ['10.0.0.1/32', '172.18.0.2/32'], ports: [443, 6443] } });
      expect(
        readConfig({
          ...base,
          DATA_PLANE_NETWORK_POLICY: 'true',
          API_SERVER_CIDRS: 'fd00::1/128',
          API_SERVER_PORTS: '16443',
        }).networkPolicy,
      ).toEqual({ apiServer: { cidrs: ['fd00::1/128'], ports: [16443] } });
    });

    it('refuses the option without API server addresses, or with bad ones, naming each problem', () => {
      expect(() => readConfig({ ...base, DATA_PLANE_NETWORK_POLICY: 'true' })).toThrow(
        'API_SERVER_CIDRS is required with DATA_PLANE_NETWORK_POLICY=true',
      );
      expect(() =>
        readConfig({
          ...base,
          DATA_PLANE_NETWORK_POLICY: 'true',
          API_SERVER_CIDRS: '10.0.0.1,kubernetes',
          API_SERVER_PORTS: '0,https',
        }),
      ).toThrow(
        /API_SERVER_CIDRS must be CIDRs, bad entries: 10\.0\.0\.1, kubernetes.*API_SERVER_PORTS must be ports in \[1, 65535\], got "0,https"/s,
      );
      expect(() => readConfig({ ...base, DATA_PLANE_NETWORK_POLICY: 'yes' })).toThrow(
        'DATA_PLANE_NETWORK_POLICY must be true or false, got "yes"',
      );
    });
  });
});

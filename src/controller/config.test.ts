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
      podName: base.POD_NAME,
      maxConcurrentReconciles: 4,
      resyncSeconds: 600,
      leaderElection: {
        enabled: true,
        namespace: base.LEADER_ELECTION_NAMESPACE,
        leaseName: 'ratings-operator-leader',
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
    });
    expect(config).toMatchObject({
      watchNamespace: 'appdev',
      port: 9000,
      maxConcurrentReconciles: 16,
      resyncSeconds: 0,
      leaderElection: { leaseName: 'other' },
    });
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
});

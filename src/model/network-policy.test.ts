import { defaultedExperiment as experiment } from './experiment.fixtures.ts';
import { childList, desiredChildren } from './children.ts';
import { ownerReference } from './metadata.ts';
import { HTTP_PORT } from './pod.ts';
import { selectorLabels } from './names.ts';
import { bootstrapAddresses, dataPlanePolicyName } from './network-policy.ts';

const apiServer = { cidrs: ['172.18.0.2/32', '10.0.0.1/32'], ports: [6443, 443] };
const strimzi = {
  image: 'ratings-operator:0.1.0',
  bootstrapServers: 'kafka-kafka-bootstrap.queuing.svc:9092',
  bootstrapSource: 'listener' as const,
  networkPolicy: { apiServer },
};

/** Whether a NetworkPolicy podSelector selects pods with these labels. */
function selects(
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  },
  podLabels: Record<string, string>,
): boolean {
  const labelsMatch = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v);
  const expressionsMatch = (selector.matchExpressions ?? []).every(
    (e) => e.operator === 'In' && e.values!.includes(podLabels[e.key] ?? ''),
  );
  return labelsMatch && expressionsMatch;
}

describe('the data-plane NetworkPolicy', () => {
  it('is absent unless the option is on', () => {
    const children = desiredChildren(experiment(), { ...strimzi, networkPolicy: undefined });
    expect(children.networkPolicy).toBeUndefined();
    expect(childList(children).map((c) => c.kind)).not.toContain('NetworkPolicy');
  });

  it('is owned by the experiment, in its namespace, and applied before the pods', () => {
    const exp = experiment();
    const children = desiredChildren(exp, strimzi);
    const policy = children.networkPolicy!;
    expect(policy.metadata).toMatchObject({
      name: dataPlanePolicyName('erb-voices'),
      namespace: 'appdev',
      ownerReferences: [ownerReference(exp)],
    });
    const kinds = childList(children).map((c) => c.kind);
    expect(kinds.indexOf('NetworkPolicy')).toBeLessThan(kinds.indexOf('Deployment'));
  });

  it("selects the experiment's producer and consumer pods and no other pods", () => {
    const policy = desiredChildren(experiment(), strimzi).networkPolicy!;
    const selector = policy.spec!.podSelector!;
    for (const component of ['producer', 'consumer'] as const) {
      const podLabels = desiredChildren(experiment(), strimzi)[`${component}Deployment`].spec!.template
        .metadata!.labels!;
      expect(selects(selector, podLabels)).toBe(true);
    }
    expect(selects(selector, selectorLabels('other-experiment', 'producer'))).toBe(false);
    expect(selects(selector, { 'app.kubernetes.io/name': 'something-else' })).toBe(false);
  });

  it('admits traffic to the HTTP port only, from anywhere', () => {
    const policy = desiredChildren(experiment(), strimzi).networkPolicy!;
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec!.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: HTTP_PORT }] }]);
  });

  it('lets the pods reach DNS, the API server and the Strimzi cluster brokers, nothing else', () => {
    const policy = desiredChildren(experiment(), strimzi).networkPolicy!;
    expect(policy.spec!.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        to: [{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '172.18.0.2/32' } }],
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 6443 },
        ],
      },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'queuing' } },
            podSelector: { matchLabels: { 'strimzi.io/cluster': 'kafka' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9092 }],
      },
    ]);
  });

  it('allows an overridden bootstrap of IP addresses as exactly those addresses', () => {
    const exp = experiment({
      kafka: { cluster: 'kafka', namespace: 'queuing', bootstrapServers: '10.1.2.3:9092,10.1.2.4:9093' },
    });
    const policy = desiredChildren(exp, {
      ...strimzi,
      bootstrapServers: '10.1.2.3:9092,10.1.2.4:9093',
      bootstrapSource: 'spec',
    }).networkPolicy!;
    expect(policy.spec!.egress![2]).toEqual({
      to: [{ ipBlock: { cidr: '10.1.2.3/32' } }, { ipBlock: { cidr: '10.1.2.4/32' } }],
      ports: [
        { protocol: 'TCP', port: 9092 },
        { protocol: 'TCP', port: 9093 },
      ],
    });
  });

  it('allows an overridden bootstrap named by DNS on its ports only, since names cannot be peers', () => {
    const policy = desiredChildren(experiment(), {
      ...strimzi,
      bootstrapServers: 'broker-0.example.com:9094',
      bootstrapSource: 'spec',
    }).networkPolicy!;
    expect(policy.spec!.egress![2]).toEqual({ ports: [{ protocol: 'TCP', port: 9094 }] });
  });

  it('is the same object for the same input (no needless writes)', () => {
    expect(desiredChildren(experiment(), strimzi).networkPolicy).toEqual(
      desiredChildren(experiment(), {
        ...strimzi,
        networkPolicy: { apiServer: { cidrs: [...apiServer.cidrs].reverse(), ports: [443, 6443, 443] } },
      }).networkPolicy,
    );
  });
});

describe('bootstrapAddresses', () => {
  it('splits host:port lists, IPv6 literals included', () => {
    expect(bootstrapAddresses('a:9092, [fd00::1]:9093')).toEqual([
      { host: 'a', port: 9092 },
      { host: 'fd00::1', port: 9093 },
    ]);
  });

  it('refuses an entry without a valid port', () => {
    expect(() => bootstrapAddresses('a:9092,b')).toThrow('bad bootstrap address "b"');
    expect(() => bootstrapAddresses('a:0')).toThrow('bad bootstrap address "a:0"');
  });
});

import { canonicalJson, digest, firstDifference } from './semantic.ts';

describe('firstDifference', () => {
  const live = {
    metadata: { name: 'x', labels: { a: '1', extra: 'theirs' }, resourceVersion: '9' },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            {
              name: 'main',
              image: 'img:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'INJECTED', value: 'by someone else' },
              ],
              resources: { limits: { cpu: '500m', memory: '1Gi' } },
              terminationMessagePath: '/dev/termination-log',
            },
          ],
        },
      },
    },
    status: { availableReplicas: 2 },
  };

  it('accepts a live object that has every desired field plus defaults and status', () => {
    const desired = {
      metadata: { name: 'x', labels: { a: '1' } },
      spec: {
        replicas: 2,
        template: {
          spec: { containers: [{ name: 'main', image: 'img:1', env: [{ name: 'A', value: '1' }] }] },
        },
      },
    };
    expect(firstDifference(desired, live)).toBeUndefined();
  });

  it('names the first field that differs', () => {
    expect(firstDifference({ spec: { replicas: 3 } }, live)).toBe('spec.replicas');
    expect(firstDifference({ metadata: { labels: { a: '2' } } }, live)).toBe('metadata.labels.a');
  });

  it('matches list items by name and reports a missing or changed one', () => {
    const withEnv = (env: unknown[]) => ({
      spec: { template: { spec: { containers: [{ name: 'main', env }] } } },
    });
    expect(firstDifference(withEnv([{ name: 'A', value: '2' }]), live)).toBe(
      'spec.template.spec.containers[name=main].env[name=A].value',
    );
    expect(firstDifference(withEnv([{ name: 'B', value: '1' }]), live)).toBe(
      'spec.template.spec.containers[name=main].env[name=B]',
    );
  });

  it('compares unkeyed lists as a whole, in order', () => {
    const rules = { rules: [{ verbs: ['get'] }, { verbs: ['patch'] }] };
    expect(firstDifference(rules, { rules: [{ verbs: ['get'] }, { verbs: ['patch'] }] })).toBeUndefined();
    expect(firstDifference(rules, { rules: [{ verbs: ['get'] }] })).toBe('rules');
    expect(firstDifference(rules, { rules: [{ verbs: ['patch'] }, { verbs: ['get'] }] })).toBe(
      'rules[0].verbs[0]',
    );
  });

  it('treats resource quantities by value', () => {
    const res = (limits: Record<string, unknown>) => ({
      spec: { template: { spec: { containers: [{ name: 'main', resources: { limits } }] } } },
    });
    expect(firstDifference(res({ cpu: '0.5', memory: '1024Mi' }), live)).toBeUndefined();
    expect(firstDifference(res({ cpu: '600m' }), live)).toBe(
      'spec.template.spec.containers[name=main].resources.limits.cpu',
    );
  });

  it('does not treat other numeric-looking strings as quantities', () => {
    expect(firstDifference({ version: '1.0' }, { version: '1' })).toBe('version');
  });

  it('accepts an omitted empty object or list, but not an omitted value', () => {
    expect(firstDifference({ securityContext: {}, args: [] }, {})).toBeUndefined();
    expect(firstDifference({ automount: false }, {})).toBe('automount');
    expect(firstDifference({ a: null }, { a: 1 })).toBe('a');
  });

  it('reports a type mismatch at the field', () => {
    expect(firstDifference({ spec: { ports: [{ port: 80 }] } }, { spec: { ports: 'x' } })).toBe('spec.ports');
    expect(firstDifference({ spec: { a: 1 } }, { spec: 'x' })).toBe('spec');
    expect(firstDifference({ a: 1 }, undefined)).toBe('.');
  });
});

describe('canonicalJson and digest', () => {
  it('ignore key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], u: undefined })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(digest({ a: 1, b: 2 })).toBe(digest({ b: 2, a: 1 }));
    expect(digest({ a: 1 })).not.toBe(digest({ a: 2 }));
  });
});

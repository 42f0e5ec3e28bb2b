import { clusterScopedLabels } from '../model/names.ts';
import { sweepCandidates } from './binding-sweep.ts';

const binding = (name: string, labels?: Record<string, string>) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name, labels },
});
const intakeBinding = (namespace: string, name: string) =>
  binding(`ratings-intake-reviewer.${namespace}.${name}`, clusterScopedLabels({ namespace, name }));

describe('sweepCandidates', () => {
  it('names the intake bindings whose experiment the cache does not hold', () => {
    const cached = new Set(['appdev/live']);
    const candidates = sweepCandidates(
      [intakeBinding('appdev', 'live'), intakeBinding('appdev', 'gone')],
      (key) => cached.has(key),
    );
    expect(candidates).toEqual([
      { binding: 'ratings-intake-reviewer.appdev.gone', experiment: { namespace: 'appdev', name: 'gone' } },
    ]);
  });

  it('leaves alone what is not labelled for an experiment, or not named as its intake binding', () => {
    const none = () => false;
    expect(sweepCandidates([binding('ratings-intake-reviewer.appdev.x', { team: 'admins' })], none)).toEqual(
      [],
    );
    expect(
      sweepCandidates(
        [binding('cluster-admin-for-x', clusterScopedLabels({ namespace: 'appdev', name: 'x' }))],
        none,
      ),
    ).toEqual([]);
  });

  it('keeps to the watched namespace: another installation may own the others', () => {
    const candidates = sweepCandidates(
      [intakeBinding('appdev', 'a'), intakeBinding('team-b', 'b')],
      () => false,
      'team-b',
    );
    expect(candidates.map((c) => c.binding)).toEqual(['ratings-intake-reviewer.team-b.b']);
  });
});

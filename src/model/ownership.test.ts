import { API_VERSION, KIND } from '../api/v1alpha1.ts';
import { clusterScopedLabels } from './names.ts';
import { childOwnership } from './ownership.ts';

const ref = { namespace: 'appdev', name: 'victim', uid: 'uid-2', generation: 1 };
const role = (ownerReferences?: unknown[]) => ({
  kind: 'Role',
  metadata: { namespace: 'appdev', name: 'victim-ratings', ownerReferences } as never,
});
const controller = (uid: string, name = 'victim', kind = KIND, apiVersion = API_VERSION) => ({
  apiVersion,
  kind,
  name,
  uid,
  controller: true,
});

describe('childOwnership', () => {
  it("is ours only when the controller owner reference names this experiment's uid", () => {
    expect(childOwnership(ref, role([controller('uid-2')]))).toEqual({ owner: 'ours' });
    expect(
      childOwnership(ref, role([controller('uid-2', 'victim', KIND, 'ratings.conglombo.io/v1')])),
    ).toEqual({
      owner: 'ours',
    });
  });

  it('is a wait for the garbage collector when an earlier experiment of the same name controls it', () => {
    expect(childOwnership(ref, role([controller('uid-1')]))).toEqual({
      owner: 'predecessor',
      message: expect.stringContaining(
        'Role appdev/victim-ratings still belongs to an earlier RatingExperiment appdev/victim (uid uid-1)',
      ),
    });
  });

  it('is foreign without a controller, under another controller, or as a mere owner', () => {
    const foreign = (ownerReferences?: unknown[]) => childOwnership(ref, role(ownerReferences)).owner;
    expect(foreign(undefined)).toBe('foreign');
    expect(foreign([controller('uid-9', 'other')])).toBe('foreign');
    expect(foreign([controller('uid-2', 'victim', 'Deployment', 'apps/v1')])).toBe('foreign');
    expect(foreign([{ ...controller('uid-2'), controller: false }])).toBe('foreign');
    expect(childOwnership(ref, role()).owner === 'foreign' && childOwnership(ref, role())).toMatchObject({
      message:
        'Role appdev/victim-ratings already exists and has no controller owner: the operator neither changes nor deletes it',
    });
  });

  it('judges a cluster-scoped child by the labels naming the experiment', () => {
    const binding = (labels?: Record<string, string>) => ({
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ratings-intake-reviewer.appdev.victim', labels },
    });
    expect(childOwnership(ref, binding(clusterScopedLabels(ref)))).toEqual({ owner: 'ours' });
    expect(childOwnership(ref, binding({ team: 'admins' }))).toMatchObject({
      owner: 'foreign',
      message: expect.stringContaining(
        'ClusterRoleBinding ratings-intake-reviewer.appdev.victim already exists and is not labelled for this experiment',
      ),
    });
    expect(
      childOwnership(ref, binding(clusterScopedLabels({ namespace: 'other', name: 'victim' }))),
    ).toMatchObject({
      owner: 'foreign',
      message: expect.stringContaining('is labelled for RatingExperiment other/victim'),
    });
  });
});

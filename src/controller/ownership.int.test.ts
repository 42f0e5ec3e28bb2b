// No object is taken over: the controller as a real process on the local stack, under the
// ClusterRole of config/rbac, meets objects that already have its children's names. An
// administrator's Role keeps its rules through the create and delete of the experiment that would
// own that name, a ClusterRoleBinding named like an intake's but not labelled for it survives the
// experiment's deletion, and the children of an experiment deleted and created again (as Flux does)
// pass to the new one without a conflict.
import { randomSuffix, type StackHandle } from '../../e2e/stack/harness.ts';
import {
  ControllerProcess,
  FIELD_MANAGER,
  adminTypes,
  conditionOf,
  controllerSuite,
  deleteExperiments,
  experimentObject,
  waitFor,
  type Experiment,
} from '../../bench/controller-harness.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';

type Role = KubeObject & { rules?: unknown[] };
type Binding = KubeObject & { roleRef?: { name: string } };
interface ManagedFieldsEntry {
  manager?: string;
}

let stack: StackHandle;
let admin: KubeClient;
let ns: string;
let controller: ControllerProcess;

beforeAll(async () => {
  let kubeconfig: string;
  let controllerNs: string;
  ({ stack, admin, controllerNs, kubeconfig } = await controllerSuite('own'));
  ns = await stack.newNamespace('own-exp');
  controller = await ControllerProcess.start({
    kubeconfig,
    podName: `${controllerNs}-controller`,
    leaseNamespace: controllerNs,
    watchNamespace: ns,
  });
}, 180_000);

afterAll(async () => {
  if (controller !== undefined) await deleteExperiments(admin, [ns]);
  await controller?.stop();
  await stack?.cleanup();
}, 120_000);

const getExperiment = (name: string) => admin.get<Experiment>(resources.ratingExperiment, ns, name);
const createExperiment = (name: string, spec: Record<string, unknown> = {}) =>
  admin.create<Experiment>(
    resources.ratingExperiment,
    experimentObject(ns, name, { consumer: { replicas: 1 }, ...spec }),
    FIELD_MANAGER,
  );

async function deleteExperiment(name: string): Promise<void> {
  await admin.delete(resources.ratingExperiment, ns, name);
  await waitFor('the experiment to go', async () => (await getExperiment(name)) === undefined, 90_000);
}

/** Whether the controller's field manager owns any field of the object. */
const touchedByController = (obj: KubeObject | undefined): boolean =>
  ((obj?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).some(
    (f) => f.manager === 'ratings-operator',
  );

async function waitForChildConflict(name: string, naming: string): Promise<Experiment> {
  await waitFor(
    'Ready=False, reason ChildConflict',
    async () => conditionOf(await getExperiment(name), 'Ready')?.reason === 'ChildConflict',
    60_000,
  );
  const exp = await getExperiment(name);
  expect(conditionOf(exp, 'Ready')?.message).toContain(naming);
  expect(conditionOf(exp, 'Stalled')).toMatchObject({ status: 'True', reason: 'ChildConflict' });
  return exp!;
}

/** Reasons of the Warning Events recorded about an experiment. */
async function warnings(name: string): Promise<string[]> {
  type Event = KubeObject & { reason?: string; type?: string; regarding?: { name?: string } };
  const { items } = await admin.list<Event>(resources.event, { namespace: ns });
  return items.filter((e) => e.regarding?.name === name && e.type === 'Warning').map((e) => e.reason ?? '');
}

describe("objects that already have a child's name", () => {
  it('leaves an unowned Role with its own rules through create and delete, and reports ChildConflict', async () => {
    const rules = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }];
    await admin.create(
      adminTypes.role,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'victim-ratings', namespace: ns },
        rules,
      } as KubeObject,
      FIELD_MANAGER,
    );
    const role = () => admin.get<Role>(adminTypes.role, ns, 'victim-ratings');
    const before = await role();

    await createExperiment('victim');
    await waitForChildConflict('victim', `Role ${ns}/victim-ratings`);
    await waitFor('the Warning Event', async () => (await warnings('victim')).includes('ChildConflict'));
    const during = await role();
    expect(during?.rules).toEqual(rules);
    expect(during?.metadata?.ownerReferences).toBeUndefined();
    expect(during?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(touchedByController(during)).toBe(false);
    // Nor is the experiment's ServiceAccount bound to it, nor its pods run.
    expect(await admin.get(adminTypes.roleBinding, ns, 'victim-ratings')).toBeUndefined();
    expect(await admin.get(resources.deployment, ns, 'victim-consumer')).toBeUndefined();

    await deleteExperiment('victim');
    // The garbage collector would have removed it by now had it been given an owner reference.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const after = await role();
    expect(after?.metadata?.uid).toBe(before?.metadata?.uid);
    expect(after?.rules).toEqual(rules);
  }, 240_000);

  it("leaves a ClusterRoleBinding named like the intake's but not labelled for it, and it survives the deletion", async () => {
    const name = `shadow-${randomSuffix()}`;
    const bindingName = `ratings-intake-reviewer.${ns}.${name}`;
    await admin.create(
      adminTypes.clusterRoleBinding,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: bindingName, labels: { team: 'platform' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', name: 'platform-auditors', apiGroup: 'rbac.authorization.k8s.io' }],
      } as KubeObject,
      FIELD_MANAGER,
    );
    stack.onCleanup(async () => {
      await admin.delete(adminTypes.clusterRoleBinding, '', bindingName);
    });
    const binding = () => admin.get<Binding>(adminTypes.clusterRoleBinding, '', bindingName);
    const before = await binding();

    await createExperiment(name, { producer: { replicas: 0, intake: { authentication: 'Kubernetes' } } });
    await waitForChildConflict(name, `ClusterRoleBinding ${bindingName}`);
    await deleteExperiment(name);

    const after = await binding();
    expect(after?.metadata?.uid).toBe(before?.metadata?.uid);
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(after?.roleRef?.name).toBe('view');
    expect(touchedByController(after)).toBe(false);
  }, 240_000);

  it('hands the children of a deleted experiment to one created again with its name, without a conflict', async () => {
    const name = `flux-${randomSuffix()}`;
    const role = () => admin.get<Role>(adminTypes.role, ns, `${name}-ratings`);
    const ownerUid = async () => (await role())?.metadata?.ownerReferences?.[0]?.uid;
    const first = await createExperiment(name);
    await waitFor('the Role of the first', async () => (await ownerUid()) === first.metadata?.uid, 60_000);

    await deleteExperiment(name);
    const second = await createExperiment(name);
    const reasons = new Set<string>();
    await waitFor(
      'the Role of the second',
      async () => {
        const reason = conditionOf(await getExperiment(name), 'Ready')?.reason;
        if (reason !== undefined) reasons.add(reason);
        return (await ownerUid()) === second.metadata?.uid;
      },
      120_000,
    );
    expect([...reasons]).not.toContain('ChildConflict');
    expect(await warnings(name)).not.toContain('ChildConflict');
  }, 240_000);
});

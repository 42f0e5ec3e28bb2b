// The NetworkPolicy option end to end on the local stack: a controller process run with
// DATA_PLANE_NETWORK_POLICY=true, under the ClusterRoles of config/rbac and
// config/network-policy, applies each experiment's data-plane NetworkPolicy with its other
// children, owned by the experiment, and the real API server accepts it. (The stack's bridge CNI
// does not enforce NetworkPolicy: that the traffic is really filtered is not tested here.)
import { randomSuffix, type StackHandle } from '../../e2e/stack/harness.ts';
import {
  ControllerProcess,
  type Experiment,
  FIELD_MANAGER,
  KAFKA,
  adminTypes,
  controllerSuite,
  deleteExperiments,
  experimentObject,
  readYamlDocuments,
  waitFor,
} from '../../bench/controller-harness.ts';
import type { KubeClient } from '../common/kube-client.ts';
import { resources, type KubeObject } from '../common/kube-resources.ts';
import { dataPlanePolicyName, desiredChildren, resolveBootstrap, type Kafka } from '../model/index.ts';

type NetworkPolicy = KubeObject & { spec?: unknown };

const API_SERVER = { cidrs: ['10.0.0.1/32'], ports: [443, 6443] };

let stack: StackHandle;
let admin: KubeClient;
let ns: string;
let controllerNs: string;
let controller: ControllerProcess | undefined;
const roleBindingName = `ratings-operator-network-policy-${randomSuffix()}`;

beforeAll(async () => {
  let kubeconfig: string;
  ({ stack, admin, controllerNs, kubeconfig } = await controllerSuite('netpol'));
  ns = await stack.newNamespace('netpol');
  // The extra permission the option needs, bound to this test's controller only.
  for (const doc of readYamlDocuments('config/network-policy/network_policy_role.yaml')) {
    if (doc.kind === 'ClusterRole') {
      await admin.apply(adminTypes.clusterRole, doc, FIELD_MANAGER);
      stack.onCleanup(async () => {
        await admin.delete(adminTypes.clusterRole, '', doc.metadata?.name ?? '');
      });
    } else {
      const binding = {
        ...doc,
        metadata: { ...doc.metadata, name: roleBindingName },
        subjects: [{ kind: 'ServiceAccount', name: 'ratings-operator', namespace: controllerNs }],
      };
      await admin.apply(adminTypes.clusterRoleBinding, binding, FIELD_MANAGER);
      stack.onCleanup(async () => {
        await admin.delete(adminTypes.clusterRoleBinding, '', roleBindingName);
      });
    }
  }
  controller = await ControllerProcess.start({
    kubeconfig,
    podName: 'netpol-controller',
    leaseNamespace: controllerNs,
    watchNamespace: ns,
    env: {
      DATA_PLANE_NETWORK_POLICY: 'true',
      API_SERVER_CIDRS: API_SERVER.cidrs.join(','),
      API_SERVER_PORTS: API_SERVER.ports.join(','),
    },
  });
}, 180_000);

afterAll(async () => {
  // While the controller runs, so that its finalizer does not hold the namespace.
  if (controller !== undefined) {
    await deleteExperiments(admin, [ns]);
    await controller.stop();
  }
  await stack?.cleanup();
}, 120_000);

test("the controller applies the experiment's data-plane NetworkPolicy, owned by it, as the model builds it", async () => {
  const name = `netpol-${randomSuffix()}`;
  await admin.create(resources.ratingExperiment, experimentObject(ns, name), FIELD_MANAGER);
  const getPolicy = () => admin.get<NetworkPolicy>(resources.networkPolicy, ns, dataPlanePolicyName(name));
  await waitFor('the data-plane NetworkPolicy', async () => (await getPolicy()) !== undefined);
  const policy = (await getPolicy())!;
  const exp = (await admin.get<Experiment>(resources.ratingExperiment, ns, name))!;
  expect(policy.metadata?.ownerReferences).toEqual([
    expect.objectContaining({ kind: 'RatingExperiment', name, uid: exp.metadata?.uid, controller: true }),
  ]);
  const kafka = await admin.get<Kafka & KubeObject>(resources.kafka, KAFKA.namespace, KAFKA.cluster);
  const bootstrap = resolveBootstrap(exp, kafka);
  if (!bootstrap.ok) throw new Error(bootstrap.message);
  const desired = desiredChildren(exp, {
    image: 'unused',
    bootstrapServers: bootstrap.bootstrapServers,
    bootstrapSource: bootstrap.source,
    networkPolicy: { apiServer: API_SERVER },
  }).networkPolicy!;
  // What the API server stored is what the model built: nothing defaulted away or refused.
  expect(policy.spec).toEqual(desired.spec);
});

// Who may rate, against the local stack's real API server and broker: a producer process with
// the rights the controller gives an authenticating intake (podKubeconfig), ServiceAccount tokens
// from the TokenRequest API, the ratings-researcher ClusterRole of config/rbac bound per namespace
// and a Role with resourceNames per experiment.
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { KafkaMessage } from 'kafkajs';
import { GROUP, PLURAL } from '../api/v1alpha1.ts';
import { eventually } from '../../e2e/stack/eventually.ts';
import { readTopic, useStack, type StackHandle } from '../../e2e/stack/harness.ts';
import {
  allowToRate,
  createAuthenticatingExperiment,
  serviceAccountToken,
  setIntakeAuthentication,
  type Authentication,
} from '../../e2e/stack/intake-auth.ts';
import { FreezableProxy, startProducer, type ModeProcess } from '../../e2e/stack/mode-process.ts';
import { intakeAudience } from './intake-auth.ts';

const catalog = {
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'],
  battles: ['Zeus vs Thor'],
  scale: ['Hated', 'Meh', 'Liked'],
};
const rating = { battle: 'Zeus vs Thor', voices: ['Beyoncé', 'Joan of Arc'], rating: 2 };

let stack: StackHandle;
let ns: string;
let producer: ModeProcess;
let apiProxy: FreezableProxy;
let messages: KafkaMessage[];
const tokens: Record<string, string> = {};
const name = 'erb';

/** A token for this experiment's intake, or (`audiences: []`) for the API server. */
const token = (serviceAccount: string, audiences = [intakeAudience({ namespace: ns, name })]) =>
  serviceAccountToken(stack.kubeConfig, ns, serviceAccount, { audiences });

async function post(body: unknown, authorization?: string) {
  const res = await fetch(`http://127.0.0.1:${await producer.port}/api/ratings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization !== undefined && { authorization }) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

const recorded = (id: unknown) =>
  eventually(`rating ${String(id)} in the topic`, () => {
    const message = messages.find((m) => m.value?.toString().includes(`"id":"${String(id)}"`));
    return message === undefined
      ? undefined
      : (JSON.parse(message.value!.toString()) as Record<string, unknown>);
  });

beforeAll(async () => {
  stack = await useStack();
  await stack.installRatingsCrd();
  const intake = await createAuthenticatingExperiment(stack, 'intake-auth', name, {
    partitions: 1,
    spec: catalog,
  });
  ns = intake.namespace;
  messages = await readTopic(stack, intake.topic);

  // Researchers: one allowed in the namespace, one allowed only another experiment, one not at all.
  tokens.rater = await token('rater');
  tokens.elsewhere = await token('elsewhere');
  tokens.bystander = await token('bystander');
  await allowToRate(stack.kubeConfig, ns, 'rater', 'rater-rates');
  const rbac = stack.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'rates-other' },
      rules: [
        {
          apiGroups: [GROUP],
          resources: [`${PLURAL}/ratings`],
          resourceNames: ['other'],
          verbs: ['create'],
        },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'elsewhere-rates-other' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rates-other' },
      subjects: [{ kind: 'ServiceAccount', name: 'elsewhere', namespace: ns }],
    },
  });

  // The producer reaches the API server through a proxy, to be cut in the last test.
  const server = new URL(stack.kubeConfig.getCurrentCluster()!.server);
  apiProxy = await FreezableProxy.start({ host: server.hostname, port: Number(server.port) });
  stack.onCleanup(() => apiProxy.close());
  producer = await startProducer(stack, intake.experiment, `producer-${ns}`, {
    server: `https://127.0.0.1:${apiProxy.port}`,
    env: { EXPERIMENT_POLL_SECONDS: '1', KUBE_REQUEST_TIMEOUT_MS: '2000' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.cleanup();
}, 60_000);

describe('an intake with authentication Kubernetes', () => {
  const audience = () => intakeAudience({ namespace: ns, name });
  const askFor = () =>
    `send a token for audience "${audience()}", e.g. kubectl create token <serviceaccount> --audience ${audience()}`;

  it('answers 401 without a token, saying why and which audience to ask for, with WWW-Authenticate', async () => {
    expect(await post(rating)).toEqual({
      status: 401,
      wwwAuthenticate: `Bearer realm="${ns}/${name}", audience="${audience()}"`,
      body: {
        error: 'unauthenticated',
        reason: `no credentials: send Authorization: Bearer <token>; ${askFor()}`,
        audience: audience(),
      },
    });
  });

  it("answers 401 naming the audience to a token meant for the API server, even an allowed rater's", async () => {
    // What `kubectl create token rater` gives: good for the API server, which the intake must not be able to replay.
    const apiServerToken = await token('rater', []);
    const answer = await post(rating, `Bearer ${apiServerToken}`);
    expect(answer).toEqual({
      status: 401,
      wwwAuthenticate: `Bearer realm="${ns}/${name}", audience="${audience()}"`,
      body: {
        error: 'unauthenticated',
        reason: expect.stringMatching(/^the API server did not accept the bearer token/),
        audience: audience(),
      },
    });
    expect(answer.body.reason).toContain(askFor());
    // The same ServiceAccount with a token for the intake's audience rates.
    expect((await post(rating, `Bearer ${tokens.rater}`)).status).toBe(202);
  });

  it('answers 401 to a token the API server does not accept', async () => {
    const answer = await post(rating, 'Bearer not-a-real-token');
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: 'unauthenticated',
      reason: expect.stringMatching(
        /^the API server did not accept the bearer token.*; send a token for audience/,
      ),
      audience: audience(),
    });
  });

  it('answers 403 naming the user and the permission to a ServiceAccount not allowed to rate', async () => {
    for (const who of ['bystander', 'elsewhere']) {
      expect(await post(rating, `Bearer ${tokens[who]}`)).toEqual({
        status: 403,
        wwwAuthenticate: null,
        body: {
          error: 'forbidden',
          reason: `user "system:serviceaccount:${ns}:${who}" may not create ratingexperiments/ratings "${name}" in namespace ${ns} (API group ratings.conglombo.io)`,
        },
      });
    }
  });

  it('takes the rating of an allowed ServiceAccount (202) and records it under its username', async () => {
    const answer = await post(rating, `Bearer ${tokens.rater}`);
    expect(answer.status).toBe(202);
    expect(await recorded(answer.body.id)).toMatchObject({
      ...rating,
      researcher: `system:serviceaccount:${ns}:rater`,
    });
    // Naming itself is fine; naming someone else is refused rather than silently rewritten.
    const same = await post(
      { ...rating, researcher: `system:serviceaccount:${ns}:rater` },
      `Bearer ${tokens.rater}`,
    );
    expect(same.status).toBe(202);
    expect(await post({ ...rating, researcher: 'Dr. Ada' }, `Bearer ${tokens.rater}`)).toEqual({
      status: 400,
      wwwAuthenticate: null,
      body: {
        error: 'invalid rating',
        reasons: [
          `researcher "Dr. Ada" is not the authenticated user "system:serviceaccount:${ns}:rater": omit it, ratings are recorded under the authenticated user`,
        ],
      },
    });
  });

  it('follows the experiment: with authentication None anyone rates again, under the name given', async () => {
    const setMode = (authentication: Authentication) =>
      setIntakeAuthentication(stack.kubeConfig, { namespace: ns, name }, authentication);
    await setMode('None');
    const open = await eventually('the intake to stop authenticating', async () => {
      const answer = await post({ ...rating, researcher: 'Dr. Ada' });
      return answer.status === 202 ? answer : undefined;
    });
    expect(await recorded(open.body.id)).toMatchObject({ researcher: 'Dr. Ada' });
    await setMode('Kubernetes');
    await eventually('the intake to authenticate again', async () =>
      (await post(rating)).status === 401 ? true : undefined,
    );
  });

  it('answers 503, not 401/403 and never a pass, when the API server cannot be asked', async () => {
    const fresh = await token('latecomer'); // never seen: not in the cache
    apiProxy.cut();
    const answer = await post(rating, `Bearer ${fresh}`);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: 'cannot check access now',
      reason: expect.stringMatching(
        /^cannot check the bearer token with a TokenReview: .*no complete answer within 2000 ms/,
      ),
    });
  }, 30_000);
});

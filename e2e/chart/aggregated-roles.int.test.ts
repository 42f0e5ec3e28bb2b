// The aggregated ClusterRoles of config/rbac on the local API server: users bound in a namespace
// to the built-in admin, edit and view roles get exactly the RatingExperiment permissions the
// roles promise, asked of the API server with `kubectl auth can-i --as`, and an edit user really
// applies, reads and deletes an experiment with kubectl while a view user is refused.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { API_VERSION, KIND } from '../../src/api/v1alpha1.ts';
import { eventually } from '../stack/eventually.ts';
import { randomSuffix, useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { kubectlPath, repoRoot } from '../stack/paths.ts';
import type { KubeObject } from './helm.ts';

const run = promisify(execFile);

type BuiltIn = 'admin' | 'edit' | 'view';
type Subresource = '' | 'status' | 'ratings';

const ROLE_FILES = ['viewer', 'editor', 'admin'].map((r) => `config/rbac/ratingexperiment_${r}_role.yaml`);
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
type Verb = (typeof VERBS)[number];
const READ: readonly Verb[] = ['get', 'list', 'watch'];

/**
 * What each built-in role may do, as the README promises: view reads, edit and admin also write
 * the experiments; everybody reads the status and nobody writes it (the consumers' checkpoints);
 * only admin may rate (so that namespace admins can bind the ratings-researcher role).
 */
function allowed(role: BuiltIn, verb: Verb, subresource: Subresource): boolean {
  switch (subresource) {
    case '':
      return role === 'view' ? READ.includes(verb) : true;
    case 'status':
      return verb === 'get';
    case 'ratings':
      return role === 'admin' && verb === 'create';
  }
}

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let namespace: string;
const suffix = randomSuffix();
const user = (role: BuiltIn | 'nobody') => `tenant-${role}-${suffix}`;

async function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(kubectlPath(), ['--kubeconfig', stack.env.KUBECONFIG, ...args]);
    return { code: 0, out: `${stdout}${stderr}` };
  } catch (err) {
    const { code, stdout, stderr } = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof code === 'number' ? code : -1, out: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

/** `kubectl auth can-i` as `who` in the test namespace: yes (exit 0) or no (exit 1), nothing else. */
async function canI(who: string, verb: string, subresource: Subresource): Promise<boolean> {
  const args = [
    'auth',
    'can-i',
    verb,
    'ratingexperiments.ratings.conglombo.io',
    '-n',
    namespace,
    '--as',
    who,
  ];
  if (subresource !== '') args.push(`--subresource=${subresource}`);
  const { code, out } = await kubectl(...args);
  if (code !== 0 && code !== 1) throw new Error(`kubectl ${args.join(' ')} failed (${code}): ${out}`);
  return code === 0;
}

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  await stack.installRatingsCrd();
  namespace = await stack.newNamespace('tenants');
  // Cluster-scoped and aggregated by label into the built-in roles cluster-wide: applied under
  // names of this run only, and deleted at the end.
  for (const file of ROLE_FILES) {
    const role = load(readFileSync(join(repoRoot, file), 'utf8')) as KubeObject;
    const copy = { ...role, metadata: { ...role.metadata, name: `${role.metadata.name}-${suffix}` } };
    await objectApi.create(copy);
    stack.onCleanup(async () => {
      await objectApi.delete(copy).catch(() => undefined);
    });
  }
  for (const role of ['admin', 'edit', 'view'] as const) {
    await objectApi.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `tenant-${role}`, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user(role) }],
    } as KubeObject);
  }
  // The clusterrole-aggregation controller of kube-controller-manager copies the rules into the
  // built-in roles asynchronously; admin takes them last (view → edit → admin).
  await eventually('the aggregated rules to reach the built-in admin role', () =>
    canI(user('admin'), 'get', ''),
  );
}, 180_000);

afterAll(async () => {
  await stack?.cleanup();
}, 120_000);

describe('the aggregated roles, asked with kubectl auth can-i --as', () => {
  const cases = (['admin', 'edit', 'view'] as const).flatMap((role) =>
    (['', 'status', 'ratings'] as const).flatMap((sub) =>
      VERBS.map(
        (verb) => [role, verb, sub === '' ? 'ratingexperiments' : `ratingexperiments/${sub}`, sub] as const,
      ),
    ),
  );

  it.each(cases)('%s: %s %s', async (role, verb, _resource, sub) => {
    expect(await canI(user(role), verb, sub)).toBe(allowed(role, verb, sub));
  });

  it('grants nothing to a user bound to none of them (the bindings are what grant)', async () => {
    for (const verb of VERBS) expect(await canI(user('nobody'), verb, '')).toBe(false);
  });
});

describe('kubectl as a namespace user', () => {
  const experiment = (name: string) =>
    dump({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace },
      // A Kafka that does not exist: no operator running on the stack gets further than a status.
      spec: { kafka: { cluster: 'absent', namespace } },
    });

  async function apply(who: string, name: string) {
    const dir = mkdtempSync(join(tmpdir(), 'tenants-'));
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, experiment(name));
    try {
      return await kubectl('apply', '-f', file, '--as', who);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('an edit user applies, gets and deletes a RatingExperiment', async () => {
    const applied = await apply(user('edit'), 'by-editor');
    expect(applied).toEqual({ code: 0, out: expect.stringContaining('created') });
    const got = await kubectl('get', 'ratingexperiments', 'by-editor', '-n', namespace, '--as', user('edit'));
    expect(got.code).toBe(0);
    expect(got.out).toContain('by-editor');
    const deleted = await kubectl(
      'delete',
      'ratingexperiments',
      'by-editor',
      '-n',
      namespace,
      '--wait=false',
      '--as',
      user('edit'),
    );
    expect(deleted).toEqual({ code: 0, out: expect.stringContaining('deleted') });
  });

  it('a view user reads experiments but cannot apply one, and the refusal says so', async () => {
    const listed = await kubectl('get', 'ratingexperiments', '-n', namespace, '--as', user('view'));
    expect(listed.code).toBe(0);
    const refused = await apply(user('view'), 'by-viewer');
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/forbidden.*cannot (create|patch|get) resource "ratingexperiments"/is);
  });
});

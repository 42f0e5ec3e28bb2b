// The process-kubelet stand-in as the stack runs it: real API server, scheduler and
// controller-manager; pods run the http-echo fixture through the entrypoint test hook.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { paths } from '../stack/paths.ts';
import { useStack, type StackHandle } from '../stack/harness.ts';
import { ENTRYPOINT_ANNOTATION, PORTS_ANNOTATION } from './container-plan.ts';
import { eventually } from '../stack/eventually.ts';
import { NODE_NAME } from './node-object.ts';
import { targetFile } from './scrape-target.ts';

let stack: StackHandle;
let core: CoreV1Api;
let apps: AppsV1Api;
let namespace: string;
let scratch: string;

beforeAll(async () => {
  stack = await useStack();
  core = stack.kubeConfig.makeApiClient(CoreV1Api);
  apps = stack.kubeConfig.makeApiClient(AppsV1Api);
  namespace = await stack.newNamespace('standin-kubelet');
  scratch = mkdtempSync(join(tmpdir(), 'standin-kubelet-'));
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'echo' } } });
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'settings' }, data: { greeting: 'hello' } },
  });
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await stack.cleanup();
});

function echoDeployment(name: string, notReadyFile: string): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: {
            [ENTRYPOINT_ANNOTATION]: 'e2e/standins/fixtures/http-echo.ts',
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': '8080',
          },
        },
        spec: {
          serviceAccountName: 'echo',
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'echo',
              image: 'ghcr.io/conglombo/ratings-operator:dev',
              args: ['producer'],
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
                { name: 'NOT_READY_FILE', value: notReadyFile },
              ],
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'http' },
                periodSeconds: 1,
                failureThreshold: 1,
              },
              livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2 },
            },
          ],
        },
      },
    },
  };
}

async function podsOf(app: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items;
}

async function onlyReadyPod(app: string): Promise<V1Pod | undefined> {
  const pods = await podsOf(app);
  const pod = pods.length === 1 ? pods[0] : undefined;
  const ready = pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return ready && pod?.metadata?.deletionTimestamp === undefined ? pod : undefined;
}

function localPort(pod: V1Pod): number {
  const mapping = JSON.parse(pod.metadata?.annotations?.[PORTS_ANNOTATION] ?? '{}') as Record<
    string,
    Record<string, number>
  >;
  const port = mapping.echo?.['8080'];
  if (port === undefined) throw new Error(`pod ${pod.metadata?.name} has no port mapping`);
  return port;
}

async function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return (await response.json()) as Record<string, unknown>;
}

function pidOf(pod: V1Pod): number {
  return Number(pod.status?.containerStatuses?.[0]?.containerID?.replace('process://', ''));
}

describe('process-kubelet stand-in', () => {
  it('registers a Ready node', async () => {
    const node = await core.readNode({ name: NODE_NAME });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.metadata?.annotations?.['standin.ratings.conglombo.io/description']).toMatch(/STAND-IN/);
  }, 120_000);

  it('runs a Deployment: Available, env and credentials, restarts, readiness, replacement on deletion', async () => {
    const notReadyFile = join(scratch, 'not-ready');
    await apps.createNamespacedDeployment({ namespace, body: echoDeployment('echo', notReadyFile) });
    await eventually('Deployment Available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'echo', namespace });
      return (
        d.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True' &&
        d.status.availableReplicas === 1
      );
    });
    const pod = (await eventually('one ready pod', () => onlyReadyPod('echo')))!;
    expect(pod.spec?.nodeName).toBe(NODE_NAME);
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: '127.0.0.1' });
    const port = localPort(pod);

    // Environment: fieldRef, ConfigMap key, remapped PORT, a kubeconfig file of the pod's own.
    const env = await getJson(port, '/env?names=POD_NAME,GREETING,PORT,KUBECONFIG');
    expect(env).toMatchObject({ POD_NAME: pod.metadata?.name, GREETING: 'hello', PORT: String(port) });
    expect(String(env.KUBECONFIG)).toContain(join('.local', 'pods', `${namespace}_${pod.metadata?.name}`));
    expect(await getJson(port, '/whoami')).toEqual({ username: `system:serviceaccount:${namespace}:echo` });

    // Prometheus target for the annotated pod.
    const target = targetFile(paths.prometheusTargets, namespace, pod.metadata?.name ?? '');
    expect(existsSync(target)).toBe(true);

    // Readiness follows /readyz.
    writeFileSync(notReadyFile, '');
    await eventually('pod unready', async () => {
      const p = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace });
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False';
    });
    rmSync(notReadyFile);
    await eventually('pod ready again', () => onlyReadyPod('echo'));

    // A killed process is restarted and counted.
    process.kill(pidOf(pod), 'SIGKILL');
    const restarted = await eventually('restartCount 1 and ready', async () => {
      const p = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace });
      const status = p.status?.containerStatuses?.[0];
      return status?.restartCount === 1 && status.ready ? p : undefined;
    });
    expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
    expect(pidOf(restarted)).not.toBe(pidOf(pod));

    // Deleting the pod stops its process; the ReplicaSet replaces it.
    const oldPid = pidOf(restarted);
    await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace });
    const replacement = await eventually('a replacement pod, ready', async () => {
      const p = await onlyReadyPod('echo');
      return p !== undefined && p.metadata?.uid !== pod.metadata?.uid ? p : undefined;
    });
    expect(replacement.metadata?.name).not.toBe(pod.metadata?.name);
    expect(isAlive(oldPid)).toBe(false);
    expect(existsSync(target)).toBe(false);

    // Scaling to zero removes every pod (graceful deletion completed by the stand-in).
    await apps.patchNamespacedDeployment(
      { name: 'echo', namespace, body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('no pods left', async () => (await podsOf('echo')).length === 0);
  }, 120_000);

  it('leaves a pod of a foreign image Pending with the reason', async () => {
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'nginx' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    });
    const pod = await eventually('UnsupportedImage', async () => {
      const p = await core.readNamespacedPod({ name: 'nginx', namespace });
      return p.status?.reason === 'UnsupportedImage' ? p : undefined;
    });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.message).toMatch(/only runs ratings-operator images/);
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('UnsupportedImage');
    await core.deleteNamespacedPod({ name: 'nginx', namespace });
    await eventually(
      'pod gone',
      async () =>
        (await core.listNamespacedPod({ namespace, fieldSelector: 'metadata.name=nginx' })).items.length ===
        0,
    );
  }, 120_000);

  it('reports a missing ConfigMap as CreateContainerConfigError', async () => {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: 'no-config',
          annotations: { [ENTRYPOINT_ANNOTATION]: 'e2e/standins/fixtures/http-echo.ts' },
        },
        spec: {
          serviceAccountName: 'echo',
          containers: [
            {
              name: 'echo',
              image: 'ratings-operator',
              env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x' } } }],
            },
          ],
        },
      },
    });
    const pod = await eventually('CreateContainerConfigError', async () => {
      const p = await core.readNamespacedPod({ name: 'no-config', namespace });
      return p.status?.reason === 'CreateContainerConfigError' ? p : undefined;
    });
    expect(pod.status?.message).toMatch(/ConfigMap .*\/absent not found/);
    await core.deleteNamespacedPod({ name: 'no-config', namespace });
  }, 120_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

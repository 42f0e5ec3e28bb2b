// The stack's real node: the kubelet and containerd run the image built from the Dockerfile.
// An experiment's producer and consumer (its children, made by a controller watching this
// suite's namespace) run as containers of that image, hardened as the chart and the model say;
// they use their mounted ServiceAccount token, cluster DNS and Services; a killed or deleted
// consumer leaves the totals exact. Probes, memory limits, Prometheus' pod discovery and
// port-forwarding through the kubelet are checked on pods of their own.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import {
  ControllerProcess,
  TEST_IMAGE,
  adminClient,
  catalog,
  controllerKubeconfig,
} from '../../bench/controller-harness.ts';
import { GROUP, PLURAL, VERSION, type RatingExperiment } from '../../src/api/v1alpha1.ts';
import { eventually } from './eventually.ts';
import {
  createRatingExperiment,
  mergePatchRatingExperiment,
  randomSuffix,
  useStack,
  type StackHandle,
} from './harness.ts';
import { ctr } from './node.ts';
import { kubectlPath, nodeNetwork } from './paths.ts';

const run = promisify(execFile);

let stack: StackHandle;
let core: CoreV1Api;
let ns: string;
let controller: ControllerProcess | undefined;
const name = `node-${randomSuffix()}`;

function kubectl(...args: string[]): Promise<string> {
  return run(kubectlPath(), ['--kubeconfig', stack.env.KUBECONFIG, ...args], { maxBuffer: 16 << 20 }).then(
    ({ stdout }) => stdout,
  );
}

/** Runs a Node.js script inside a container of the image (it has no shell): {code, stdout, stderr}. */
async function nodeIn(
  pod: string,
  script: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(kubectlPath(), [
      '--kubeconfig',
      stack.env.KUBECONFIG,
      '-n',
      ns,
      'exec',
      pod,
      '--',
      '/nodejs/bin/node',
      '-e',
      script,
    ]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function runningPod(component: string): Promise<V1Pod> {
  return eventually(
    `a running, ready ${component} pod`,
    async () => {
      const { items } = await core.listNamespacedPod({
        namespace: ns,
        labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=${component}`,
      });
      return items.find(
        (p) =>
          p.metadata?.deletionTimestamp === undefined &&
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    },
    { timeoutMs: 180_000 },
  );
}

async function experiment(): Promise<RatingExperiment> {
  return (await stack.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    namespace: ns,
    name,
  })) as RatingExperiment;
}

/** A bare pod of the image running `script` with node, hardened to the restricted standard. */
function scriptPod(podName: string, script: string, extra: Record<string, unknown> = {}): V1Pod {
  return {
    metadata: { name: podName },
    spec: {
      restartPolicy: 'Always',
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: TEST_IMAGE,
          command: ['/nodejs/bin/node', '-e', script],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          ...extra,
        },
      ],
    },
  } as V1Pod;
}

beforeAll(async () => {
  stack = await useStack();
  core = stack.kubeConfig.makeApiClient(CoreV1Api);
  await stack.installRatingsCrd();
  const controllerNs = await stack.newNamespace('node-controller');
  ns = await stack.newNamespace('node');
  const admin = adminClient(stack.env.KUBECONFIG);
  const kubeconfig = await controllerKubeconfig(stack.kubeConfig, admin, controllerNs);
  stack.onCleanup(async () => {
    await kubectl('delete', 'clusterrolebinding', `ratings-operator-${controllerNs}`, '--ignore-not-found');
    admin.close();
  });
  controller = await ControllerProcess.start({
    kubeconfig,
    podName: `node-test-${randomSuffix()}`,
    leaseNamespace: controllerNs,
    watchNamespace: ns,
  });
  // HTTP intake only (no simulated ratings), so the test knows every rating counted.
  await createRatingExperiment(
    stack.kubeConfig,
    { namespace: ns, name },
    {
      topic: { partitions: 2, replicas: 1 },
      producer: { replicas: 1, ratingsPerSecond: 0 },
      consumer: { replicas: 1, checkpointIntervalSeconds: 1 },
      voices: catalog.voices.slice(0, 4),
      battles: catalog.battles.slice(0, 2),
      scale: catalog.scale,
    },
  );
}, 300_000);

afterAll(async () => {
  // The experiment goes while its controller still runs, so that its finalizer does not hold the namespace.
  await kubectl('-n', ns, 'delete', 'ratingexperiment', name, '--ignore-not-found', '--timeout=60s').catch(
    () => undefined,
  );
  await controller?.stop();
  await stack?.cleanup();
}, 120_000);

test('the node is Ready, on containerd 2 and the pinned kubelet', async () => {
  const node = await core.readNode({ name: nodeNetwork.nodeName });
  expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/v?2\./);
  expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.\d+\.\d+$/);
  expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: nodeNetwork.gateway });
});

test('the producer and consumer run as hardened containers of the image', async () => {
  for (const component of ['producer', 'consumer']) {
    const pod = await runningPod(component);
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.image).toContain('ratings-operator');
    expect(status?.containerID).toMatch(/^containerd:\/\//);
    const proc = await nodeIn(
      pod.metadata?.name ?? '',
      "process.stdout.write(require('fs').readFileSync('/proc/1/status', 'utf8'))",
    );
    expect(proc.code).toBe(0);
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(proc.stdout)?.[1]?.split(/\s+/);
    expect(field('Uid')).toEqual(['65532', '65532', '65532', '65532']);
    expect(field('Gid')?.[0]).toBe('65532');
    expect(field('CapEff')).toEqual(['0000000000000000']);
    expect(field('CapPrm')).toEqual(['0000000000000000']);
    expect(field('Seccomp')).toEqual(['2']);
    expect(field('NoNewPrivs')).toEqual(['1']);
    // The root filesystem is read-only.
    const write = await nodeIn(pod.metadata?.name ?? '', "require('fs').writeFileSync('/app/x', 'y')");
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('EROFS');
  }
}, 240_000);

test('pods use their mounted token (and are refused what their Role does not grant), cluster DNS and Services', async () => {
  const pod = (await runningPod('producer')).metadata?.name ?? '';
  const script = `
    const fs = require('fs'), https = require('https'), dns = require('dns').promises;
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = fs.readFileSync(dir + '/token', 'utf8'), ca = fs.readFileSync(dir + '/ca.crt');
    const get = (path) => new Promise((resolve, reject) => https.get({
      host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path, ca,
      headers: { authorization: 'Bearer ' + token },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));
    (async () => {
      const lookup = async (host) => (await dns.lookup(host)).address;
      console.log(JSON.stringify({
        host: process.env.KUBERNETES_SERVICE_HOST,
        own: await get('/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}/${name}'),
        secrets: await get('/api/v1/namespaces/${ns}/secrets'),
        kubernetes: await lookup('kubernetes.default.svc.cluster.local'),
        consumer: await lookup('${name}-consumer.${ns}.svc.cluster.local'),
        kafka: await lookup('kafka-kafka-bootstrap.queuing.svc'),
      }));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const result = await nodeIn(pod, script);
  expect(result.stderr).toBe('');
  const seen = JSON.parse(result.stdout) as Record<string, string | number>;
  const service = async (namespace: string, svc: string) =>
    (await core.readNamespacedService({ namespace, name: svc })).spec?.clusterIP;
  expect(seen).toEqual({
    host: nodeNetwork.kubernetesServiceIp,
    own: 200,
    secrets: 403,
    kubernetes: nodeNetwork.kubernetesServiceIp,
    consumer: await service(ns, `${name}-consumer`),
    kafka: await service('queuing', 'kafka-kafka-bootstrap'),
  });
}, 120_000);

test('a consumer container killed and a consumer pod deleted mid-stream leave the totals exact', async () => {
  const producer = await runningPod('producer');
  const intake = `http://${producer.status?.podIP}:8080/api/ratings`;
  const expected = new Map<string, { sum: number; count: number }>();
  const voices = catalog.voices.slice(0, 4);
  const total = 1_500;
  const post = async (i: number) => {
    const pair = [voices[i % 4], voices[(i + 1 + (i % 3)) % 4]] as string[];
    if (pair[0] === pair[1]) pair[1] = voices[(i + 2) % 4] as string;
    // A rating is the index of its label on the scale.
    const rating = i % catalog.scale.length;
    const res = await fetch(intake, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ battle: catalog.battles[i % 2], voices: pair, rating, researcher: 'node-test' }),
    });
    expect(`${res.status} ${res.status === 202 ? '' : await res.text()}`).toBe('202 ');
    for (const voice of pair) {
      const t = expected.get(voice) ?? { sum: 0, count: 0 };
      expected.set(voice, { sum: t.sum + rating, count: t.count + 1 });
    }
  };
  const consumerBefore = await runningPod('consumer');
  const containerId =
    consumerBefore.status?.containerStatuses?.[0]?.containerID?.replace('containerd://', '') ?? '';
  for (let i = 0; i < total; i++) {
    if (i === 500) {
      // A crash: SIGKILL to the container's task, as containerd's own client sends it.
      ctr(['tasks', 'kill', '--signal', 'SIGKILL', containerId]);
    }
    if (i === 1_000) {
      await eventually('the killed consumer container to be restarted', async () => {
        const pod = await core.readNamespacedPod({
          namespace: ns,
          name: consumerBefore.metadata?.name ?? '',
        });
        return (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 || undefined;
      });
      await core.deleteNamespacedPod({ namespace: ns, name: consumerBefore.metadata?.name ?? '' });
    }
    await post(i);
  }
  const done = await eventually(
    'every rating counted',
    async () => {
      const exp = await experiment();
      return exp.status?.counted === total ? exp : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1_000 },
  );
  expect(done.status?.rejected ?? 0).toBe(0);
  const totals = new Map(done.status?.totals?.map((t) => [t.voice, { sum: t.sum, count: t.count }]));
  expect(totals).toEqual(expected);
}, 600_000);

test('Prometheus discovers the pods and scrapes them on the pod network', async () => {
  const consumer = (await runningPod('consumer')).metadata?.name ?? '';
  const query = `up{job="pods",namespace="${ns}",pod="${consumer}"}`;
  const value = await eventually(
    'Prometheus to scrape the consumer pod',
    async () => {
      const res = await fetch(`${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    },
    { timeoutMs: 90_000, intervalMs: 1_000 },
  );
  expect(value).toBe('1');
}, 120_000);

test('kubectl port-forward reaches a pod through the kubelet', async () => {
  const pod = (await runningPod('producer')).metadata?.name ?? '';
  const child = spawn(kubectlPath(), [
    '--kubeconfig',
    stack.env.KUBECONFIG,
    '-n',
    ns,
    'port-forward',
    `pod/${pod}`,
    ':8080',
  ]);
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /127\.0\.0\.1:(\d+)/.exec(chunk.toString());
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`port-forward exited with ${code}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  } finally {
    child.kill();
  }
}, 60_000);

test('a failing liveness probe restarts the container, and the restart count shows it', async () => {
  // Serves 500 on /healthz: the kubelet's probe fails and it restarts the container.
  const script = "require('http').createServer((q, s) => { s.statusCode = 500; s.end(); }).listen(8080)";
  await core.createNamespacedPod({
    namespace: ns,
    body: scriptPod('probe', script, {
      ports: [{ containerPort: 8080 }],
      livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    }),
  });
  const restarted = await eventually(
    'the probe pod to be restarted',
    async () => {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'probe' });
      const status = pod.status?.containerStatuses?.[0];
      return (status?.restartCount ?? 0) >= 1 ? status : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  expect(restarted.lastState?.terminated).toBeDefined();
  const events = await core.listNamespacedEvent({
    namespace: ns,
    fieldSelector: 'involvedObject.name=probe',
  });
  expect(events.items.map((e) => e.reason)).toContain('Unhealthy');
}, 180_000);

test('a memory limit is enforced: a container that outgrows it is OOM-killed', async () => {
  // Holds on to 8 MiB buffers (outside the V8 heap, so only the cgroup limit stops it).
  const script = 'const kept = []; setInterval(() => kept.push(Buffer.alloc(8 << 20, 1)), 20)';
  const pod = scriptPod('hungry', script, { resources: { limits: { memory: '64Mi', cpu: '500m' } } });
  pod.spec!.restartPolicy = 'Never';
  await core.createNamespacedPod({ namespace: ns, body: pod });
  const terminated = await eventually(
    'the hungry container to be killed',
    async () => {
      const read = await core.readNamespacedPod({ namespace: ns, name: 'hungry' });
      return read.status?.containerStatuses?.[0]?.state?.terminated;
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
  expect(terminated.reason).toBe('OOMKilled');
  expect(terminated.exitCode).toBe(137);
}, 180_000);

test('a producer with generating threads (spec.producer.workers) runs them in its pod, its heap shared among them', async () => {
  await mergePatchRatingExperiment(
    stack.kubeConfig,
    { namespace: ns, name },
    { spec: { producer: { workers: 2, ratingsPerSecond: 50 } } },
  );
  // A new template: the pods are replaced by ones that start two threads.
  const pod = await eventually(
    'a ready producer pod with two generating threads',
    async () => {
      const candidate = await runningPod('producer');
      const env = candidate.spec?.containers[0]?.env ?? [];
      return env.some((v) => v.name === 'PRODUCER_WORKERS' && v.value === '2') ? candidate : undefined;
    },
    { timeoutMs: 180_000 },
  );
  // The 256Mi default limit, halved, over the main thread and two generating threads; the pod
  // runs (and is ready) with V8's growth factor applied by the process itself.
  expect(pod.spec?.containers[0]?.env).toContainEqual({
    name: 'NODE_OPTIONS',
    value: '--max-old-space-size=42 --max-semi-space-size=4',
  });
  expect(pod.spec?.containers[0]?.env).toContainEqual({ name: 'HEAP_GROWING_PERCENT', value: '100' });
  const generated = await eventually(
    'ratings generated by the threads, counted in the pod metrics',
    async () => {
      const scrape = await nodeIn(
        pod.metadata?.name ?? '',
        "fetch('http://127.0.0.1:8080/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))",
      );
      const value = Number(
        /^ratings_producer_produced_total\{source="generated"[^}]*\} (\d+)$/m.exec(scrape.stdout)?.[1],
      );
      return value >= 100 ? value : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(generated).toBeGreaterThanOrEqual(100);
  expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
}, 300_000);

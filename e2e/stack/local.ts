// What `npm run local` does once the stack is up: deploys the operator the way a cluster user
// would (`kubectl apply -k config/default`: CRD, RBAC, controller Deployment), applies the sample
// experiment of ops/, and waits until it is Ready. The stack's node runs the controller, the
// producer and the consumers as containers of the image stack:up built from the Dockerfile;
// their pod IPs on the node's bridge are reachable from this machine (and only from it).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubectlPath, paths, repoRoot } from './paths.ts';
import type { StackEnv } from './stack.ts';

const run = promisify(execFile);

const SAMPLE = { namespace: 'appdev', name: 'erb-voices' };

/** A progress line of `npm run local`. */
export function say(message: string): void {
  process.stdout.write(`[local] ${message}\n`);
}

/** Runs one step of `npm run local` and says it is done, with how long it took. */
export async function step<T>(title: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await action();
  say(`${title} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return result;
}

function kubectl(env: StackEnv, ...args: string[]): Promise<string> {
  return run(kubectlPath(), args, {
    env: { ...process.env, KUBECONFIG: env.KUBECONFIG },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => stdout,
    (err: { stderr?: string; message: string }) => {
      throw new Error(`kubectl ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
    },
  );
}

/** The URL of a pod's HTTP port on the pod network (the node's bridge). */
async function podAddress(env: StackEnv, selector: string): Promise<string | undefined> {
  const pods = JSON.parse(
    await kubectl(env, 'get', 'pods', '-n', SAMPLE.namespace, '-l', selector, '-o', 'json'),
  ) as {
    items: {
      status?: { podIP?: string; phase?: string };
      spec: { containers: { ports?: { containerPort: number }[] }[] };
    }[];
  };
  const pod = pods.items.find((p) => p.status?.phase === 'Running' && p.status.podIP !== undefined);
  const port = pod?.spec.containers[0]?.ports?.[0]?.containerPort;
  return pod === undefined || port === undefined ? undefined : `http://${pod.status?.podIP}:${port}/`;
}

export async function runLocal(env: StackEnv): Promise<void> {
  await step('applied the operator: kubectl apply --server-side -k config/default', async () => {
    await kubectl(
      env,
      'apply',
      '--server-side',
      '--force-conflicts',
      '-k',
      join(repoRoot, 'config', 'default'),
    );
    await kubectl(
      env,
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/ratingexperiments.ratings.conglombo.io',
    );
  });
  await step('controller available', () =>
    kubectl(
      env,
      'wait',
      '-n',
      'ratings-operator-system',
      '--for=condition=Available',
      '--timeout=180s',
      'deployment/ratings-operator',
    ),
  );
  await step('applied the sample experiment: kubectl apply -k ops/experiments', () =>
    kubectl(env, 'apply', '--server-side', '-k', join(repoRoot, 'ops', 'experiments')),
  );
  await step(`${SAMPLE.namespace}/${SAMPLE.name} Ready`, () =>
    kubectl(
      env,
      'wait',
      '-n',
      SAMPLE.namespace,
      '--for=condition=Ready',
      '--timeout=300s',
      `ratingexperiment/${SAMPLE.name}`,
    ),
  );

  const producer = await podAddress(
    env,
    `app.kubernetes.io/instance=${SAMPLE.name},app.kubernetes.io/component=producer`,
  );
  const consumer = await podAddress(
    env,
    `app.kubernetes.io/instance=${SAMPLE.name},app.kubernetes.io/component=consumer`,
  );
  const kubectlLine = `KUBECONFIG=${env.KUBECONFIG} ${kubectlPath()}`;
  process.stdout.write(
    [
      '',
      await kubectl(env, 'get', 'ratingexperiments', '-A'),
      'The operator and the sample experiment run on the local stack:',
      '',
      `  ${kubectlLine} get ratingexperiments -A`,
      `  ${kubectlLine} -n ${SAMPLE.namespace} get rexp ${SAMPLE.name} -o yaml   # totals in status`,
      `  recent ratings (producer):  ${producer ?? '(pod not running)'}`,
      `  leaderboard (consumer):     ${consumer ?? '(pod not running)'}`,
      `  Prometheus:                 ${env.PROMETHEUS_URL}/graph?g0.expr=max%20by%20(voice)%20(ratings_voice_sum)`,
      `  rate a battle yourself (the sample authenticates; a ServiceAccount "me" allowed to rate):`,
      `    ${kubectlLine} -n ${SAMPLE.namespace} create serviceaccount me`,
      `    ${kubectlLine} -n ${SAMPLE.namespace} create rolebinding me-rates --clusterrole=ratings-researcher --serviceaccount=${SAMPLE.namespace}:me`,
      `    curl -X POST -H 'content-type: application/json' -H "authorization: Bearer $(${kubectlLine} -n ${SAMPLE.namespace} create token me)" \\`,
      `      ${producer ?? 'http://<producer>/'}api/ratings -d '{"battle":"Adam vs Eve","voices":["Big Bird","Joan of Arc"],"rating":2}'`,
      '',
      `  or through the kubelet:      ${kubectlLine} -n ${SAMPLE.namespace} port-forward deploy/${SAMPLE.name}-producer 8080`,
      '',
      `Logs: ${paths.logs}/ (pods: kubectl logs)   Stop everything: npm run stack:down`,
      '',
    ].join('\n'),
  );
}

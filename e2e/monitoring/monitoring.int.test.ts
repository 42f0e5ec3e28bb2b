// The monitoring objects against real programs: the Prometheus Operator's own CRDs on the stack's
// API server judge what the chart and config/prometheus render (server-side dry runs), promtool
// checks and unit-tests the alerts, and the stack's Prometheus answers every expression of the
// dashboard and of the alerts with data while an experiment runs (controller, producer and
// consumer as local processes of this checkout, scraped through file_sd targets).
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { ControllerProcess } from '../../bench/controller-harness.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/v1alpha1.ts';
import type { RatingExperiment } from '../../src/api/v1alpha1.ts';
import { dryRunApply, intoNamespace } from '../chart/api-server.ts';
import { HELM, KUSTOMIZE, ensureGoTool } from '../chart/go-tools.ts';
import { helmTemplate, parseManifests, stackKubernetesVersion } from '../chart/helm.ts';
import type { KubeObject } from '../chart/helm.ts';
import { CHART_DIR } from '../chart/sync.ts';
import { eventually } from '../stack/eventually.ts';
import { createRatingExperiment, useStack } from '../stack/harness.ts';
import type { StackHandle } from '../stack/harness.ts';
import { ModeProcess, podKubeconfig } from '../stack/mode-process.ts';
import { repoRoot } from '../stack/paths.ts';
import { addScrapeTarget, removeScrapeTarget } from '../stack/stack.ts';
import { installPrometheusOperatorCrds } from './prometheus-operator.ts';
import {
  DASHBOARD_FILE,
  dataQueries,
  fillVariables,
  narrowed,
  panelQueries,
  readDashboard,
  ruleQueries,
  variableQueries,
} from './queries.ts';
import type { RuleGroup } from './queries.ts';

const MONITORING_VALUES = {
  'monitoring.podMonitor.enabled': 'true',
  'monitoring.prometheusRule.enabled': 'true',
  'monitoring.dashboard.enabled': 'true',
  'serviceMonitor.enabled': 'true',
};
const MONITORING_KINDS = ['PodMonitor', 'PrometheusRule', 'ServiceMonitor'];

let stack: StackHandle;
let objectApi: KubernetesObjectApi;
let namespace: string;
let config: KubeObject[];
let chart: KubeObject[];
let helm: string;

function only(
  objects: KubeObject[],
  kind: string,
): KubeObject & { spec?: unknown; data?: Record<string, string> } {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

function renderChart(values: Record<string, string>): KubeObject[] {
  return helmTemplate(helm, join(repoRoot, CHART_DIR), {
    release: 'ratings-operator',
    namespace: 'ratings-operator-system',
    kubeVersion: stackKubernetesVersion(),
    values,
  });
}

beforeAll(async () => {
  stack = await useStack();
  objectApi = KubernetesObjectApi.makeApiClient(stack.kubeConfig);
  namespace = await stack.newNamespace('monitoring');
  await installPrometheusOperatorCrds(stack.env.KUBECONFIG);
  // Built from the Go module proxy on first use: minutes, then cached.
  helm = ensureGoTool(HELM);
  config = parseManifests(
    execFileSync(ensureGoTool(KUSTOMIZE), ['build', join(repoRoot, 'config', 'prometheus')], {
      encoding: 'utf8',
    }),
  );
  chart = renderChart(MONITORING_VALUES);
}, 15 * 60_000);

afterAll(async () => {
  await stack?.cleanup();
}, 120_000);

describe('the Prometheus Operator objects of config/prometheus and the chart', () => {
  it('are the same PodMonitor and PrometheusRule either way', () => {
    expect(config.map((o) => o.kind).sort()).toEqual(['PodMonitor', 'PrometheusRule']);
    for (const kind of ['PodMonitor', 'PrometheusRule']) {
      expect({ kind, spec: only(chart, kind).spec }).toEqual({ kind, spec: only(config, kind).spec });
    }
  });

  it('are off in the chart unless asked for', () => {
    const kinds = renderChart({}).map((o) => o.kind);
    for (const kind of [...MONITORING_KINDS, 'ConfigMap']) expect(kinds).not.toContain(kind);
  });

  it("are accepted by the API server under the Prometheus Operator's CRDs (server-side dry run)", async () => {
    const objects = [...config, ...chart.filter((o) => [...MONITORING_KINDS, 'ConfigMap'].includes(o.kind))];
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'PodMonitor',
      'PodMonitor',
      'PrometheusRule',
      'PrometheusRule',
      'ServiceMonitor',
    ]);
    for (const object of objects) {
      // The CRDs may have been Established a moment ago: their REST mapping follows shortly.
      await eventually(
        `a dry run of ${object.kind} ${object.metadata.name}`,
        () => dryRunApply(objectApi, intoNamespace(object, namespace)),
        { timeoutMs: 30_000, intervalMs: 1_000 },
      );
    }
  }, 120_000);

  it('and a PodMonitor those CRDs do not describe is refused (the control)', async () => {
    const podMonitor = intoNamespace(only(config, 'PodMonitor'), namespace) as KubeObject & {
      spec: { podMetricsEndpoints: Record<string, unknown>[] };
    };
    const broken = {
      ...podMonitor,
      spec: {
        ...podMonitor.spec,
        podMetricsEndpoints: [{ ...podMonitor.spec.podMetricsEndpoints[0], scheme: 'ftp' }],
      },
    };
    await expect(dryRunApply(objectApi, broken)).rejects.toThrow(/scheme/);
  });

  it('include the dashboard of the repository, labelled for the Grafana sidecar as configured', () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, DASHBOARD_FILE), 'utf8')) as unknown;
    const configMap = only(chart, 'ConfigMap');
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(configMap.data!['ratings-operator.json']!)).toEqual(dashboard);
    const relabelled = only(
      renderChart({
        'monitoring.dashboard.enabled': 'true',
        'monitoring.dashboard.label': 'dashboards.example.com/grafana',
        'monitoring.dashboard.labelValue': 'ratings',
        'monitoring.dashboard.namespace': 'grafana',
      }),
      'ConfigMap',
    );
    expect(relabelled.metadata.labels?.['dashboards.example.com/grafana']).toBe('ratings');
    expect(relabelled.metadata.labels?.grafana_dashboard).toBeUndefined();
    expect(relabelled.metadata.namespace).toBe('grafana');
  });
});

describe('the alerts under promtool', () => {
  let dir: string;
  const promtool = (...args: string[]) => promisify(execFile)('promtool', args, { cwd: dir });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ratings-rules-'));
    // The rules as the chart renders them: helm must have printed the alerts' own templates back.
    const { groups } = only(chart, 'PrometheusRule').spec as { groups: RuleGroup[] };
    writeFileSync(join(dir, 'rules.yaml'), dump({ groups }));
    copyFileSync(
      join(repoRoot, 'e2e', 'monitoring', 'alerts.promtest.yaml'),
      join(dir, 'alerts.promtest.yaml'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pass `promtool check rules`', async () => {
    const { stdout } = await promtool('check', 'rules', 'rules.yaml');
    expect(stdout).toContain('SUCCESS: 7 rules found');
  });

  it('fire on the series of e2e/monitoring/alerts.promtest.yaml and not otherwise (`promtool test rules`)', async () => {
    const { stdout } = await promtool('test', 'rules', 'alerts.promtest.yaml');
    expect(stdout).toContain('SUCCESS');
  });
});

type Answer = {
  status: 'success' | 'error';
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
};

async function query(expr: string): Promise<Answer> {
  const res = await fetch(`${stack.prometheusUrl}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: expr }),
  });
  return (await res.json()) as Answer;
}

describe("every expression on the stack's Prometheus while an experiment runs", () => {
  const name = 'watched';
  const processes: (ModeProcess | ControllerProcess)[] = [];
  const jobs: string[] = [];
  /** Only the targets this test adds: whatever else the shared Prometheus scrapes cannot answer for them. */
  let ours: string;
  let variables: Record<string, string>;
  const dashboard = readDashboard();
  const rules = ruleQueries(
    (
      only(
        parseManifests(readFileSync(join(repoRoot, 'config/prometheus/prometheus_rule.yaml'), 'utf8')),
        'PrometheusRule',
      ).spec as { groups: RuleGroup[] }
    ).groups,
  );

  const read = async () =>
    (await stack.kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
    })) as RatingExperiment;

  beforeAll(async () => {
    ours = `job=~"${namespace}-.*"`;
    variables = { datasource: 'unused', namespace, experiment: name };
    await stack.installRatingsCrd();
    // The controller's Deployments stay without pods (the node runs main's image, not this
    // checkout's): the producer and consumer run here as processes instead.
    await stack.kubeConfig.makeApiClient(CoreV1Api).createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
    });
    const experiment = await createRatingExperiment(
      stack.kubeConfig,
      { namespace, name },
      {
        producer: { replicas: 1, ratingsPerSecond: 50 },
        consumer: { replicas: 1, checkpointIntervalSeconds: 1 },
      },
    );
    const controller = await ControllerProcess.start({
      kubeconfig: stack.env.KUBECONFIG,
      podName: `${namespace}-controller`,
      leaseNamespace: namespace,
      watchNamespace: namespace,
      // The stack's Prometheus holds no credentials for the HTTPS, authenticated /metrics.
      env: { METRICS_SECURE: 'false' },
    });
    processes.push(controller);
    const topic = await eventually(
      'the experiment to own a ready topic',
      async () => {
        const { status } = await read();
        const ready = status?.conditions?.some((c) => c.type === 'TopicReady' && c.status === 'True');
        return ready === true ? status?.topic : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const credentials = await podKubeconfig(stack.kubeConfig, experiment, stack.kafkaBootstrap);
    stack.onCleanup(() => rmSync(dirname(credentials), { recursive: true, force: true }));
    const env = {
      KUBECONFIG: credentials,
      EXPERIMENT_NAMESPACE: namespace,
      EXPERIMENT_NAME: name,
      KAFKA_BOOTSTRAP_SERVERS: stack.kafkaBootstrap,
      KAFKA_TOPIC: topic!,
    };
    const producer = new ModeProcess('producer', `${name}-producer-0`, env);
    const consumer = new ModeProcess('consumer', `${name}-consumer-0`, env);
    processes.push(producer, consumer);
    // As the controller's ServiceMonitor and the PodMonitor would: the pods' targets carry
    // their namespace; the controller's own series name the experiment's.
    jobs.push(`${namespace}-controller`, `${namespace}-experiments`);
    addScrapeTarget(jobs[0]!, [`127.0.0.1:${controller.metricsPort}`]);
    addScrapeTarget(jobs[1]!, [`127.0.0.1:${await producer.port}`, `127.0.0.1:${await consumer.port}`], {
      namespace,
    });
    await eventually(
      'Prometheus to hold two scrapes of counted ratings',
      async () => {
        const answer = await query(
          `count_over_time(ratings_voice_sum{${ours},experiment_namespace="${namespace}"}[1m]) >= 2`,
        );
        return (answer.data?.result.length ?? 0) > 0 || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
  }, 5 * 60_000);

  afterAll(async () => {
    for (const job of jobs) removeScrapeTarget(job);
    for (const proc of processes.splice(1).reverse()) await proc.stop('SIGTERM');
    // The controller removes its finalizer (and the experiment's topic) before it stops.
    await stack.kubeConfig
      .makeApiClient(CustomObjectsApi)
      .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })
      .catch(() => undefined);
    await eventually(
      'the experiment to be gone',
      async () =>
        read().then(
          () => undefined,
          () => true,
        ),
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    ).catch(() => undefined);
    await processes.pop()?.stop('SIGTERM');
  }, 120_000);

  const dashboardQueries = () =>
    panelQueries(dashboard).map((q) => ({ ...q, expr: fillVariables(q.expr, variables, '1m') }));

  it('parse, dashboard and alerts alike (thresholds and all)', async () => {
    for (const { source, expr } of [...dashboardQueries(), ...rules]) {
      const answer = await query(expr);
      expect({ source, status: answer.status, error: answer.error }).toEqual({
        source,
        status: 'success',
        error: undefined,
      });
    }
  });

  it("answer the dashboard's variables with this experiment", async () => {
    for (const { source, expr, label } of variableQueries(dashboard)) {
      const answer = await query(narrowed(fillVariables(expr, variables, '1m'), ours));
      const values = new Set(answer.data?.result.map((r) => r.metric[label]));
      expect({
        source,
        has: values.has(variables[source === 'variable namespace' ? 'namespace' : 'experiment']!),
      }).toEqual({
        source,
        has: true,
      });
    }
  });

  it(
    "answer every panel of the dashboard with data of this experiment's processes",
    async () => {
      for (const { source, expr } of dashboardQueries()) {
        const scoped = narrowed(expr, ours);
        const series = await eventually(
          `${source} to answer: ${scoped}`,
          async () => {
            const answer = await query(scoped);
            return (answer.data?.result.length ?? 0) > 0 ? answer.data!.result.length : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 1_000 },
        );
        expect({ source, series: series > 0 }).toEqual({ source, series: true });
      }
    },
    10 * 60_000,
  );

  // An alert whose condition is false answers nothing, legitimately: each is asked without its
  // threshold (and absent(x) as x), which must answer whenever its metrics are scraped.
  it(
    'answer every alert, its thresholds taken off, with data of these processes',
    async () => {
      for (const { source, expr } of rules) {
        for (const part of dataQueries(expr)) {
          const scoped = narrowed(part, ours);
          const series = await eventually(
            `${source} to answer: ${scoped}`,
            async () => {
              const answer = await query(scoped);
              return (answer.data?.result.length ?? 0) > 0 ? answer.data!.result.length : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 1_000 },
          );
          expect({ source, part, series: series > 0 }).toEqual({ source, part, series: true });
        }
      }
    },
    10 * 60_000,
  );
});

// Keeps the Helm chart's copies of what the repository defines once elsewhere: the CRD
// (crds/, copied byte for byte into the chart's crds/), the controller's RBAC rules
// (config/rbac/, wrapped into chart templates) and the Prometheus Operator objects
// (config/prometheus/, their spec wrapped into templates switched on by values). `npm run chart:sync` writes them;
// sync.test.ts fails when the chart has drifted from its sources.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, loadAll } from 'js-yaml';

export const CHART_DIR = 'charts/ratings-operator';
export const CRD_SOURCE_DIR = 'crds';

export type RoleKind = 'ClusterRole' | 'Role';

/** A chart template that carries the rules of an RBAC role kept under config/rbac. */
export interface DerivedRole {
  kind: RoleKind;
  source: string;
  template: string;
  /** Appended to the release's full name, e.g. "-leader-election". */
  nameSuffix: string;
  /** A chart value that must be true for the role to be rendered, e.g. ".Values.networkPolicy.enabled". */
  condition?: string;
  /** A fixed name instead, for a role users bind by name (the same in config/ and the chart). */
  fixedName?: string;
}

export const DERIVED_ROLES: readonly DerivedRole[] = [
  {
    kind: 'ClusterRole',
    source: 'config/rbac/cluster_role.yaml',
    template: `${CHART_DIR}/templates/clusterrole.yaml`,
    nameSuffix: '',
  },
  {
    kind: 'Role',
    source: 'config/rbac/leader_election_role.yaml',
    template: `${CHART_DIR}/templates/leader-election-role.yaml`,
    nameSuffix: '-leader-election',
  },
  // Aggregated into the built-in view, edit and admin ClusterRoles by their labels.
  ...(['viewer', 'editor', 'admin'] as const).map((role) => ({
    kind: 'ClusterRole' as const,
    source: `config/rbac/ratingexperiment_${role}_role.yaml`,
    template: `${CHART_DIR}/templates/ratingexperiment-${role}-clusterrole.yaml`,
    nameSuffix: `-ratingexperiment-${role}`,
  })),
  // Only with the NetworkPolicy option, which makes NetworkPolicies children of the experiments.
  {
    kind: 'ClusterRole',
    source: 'config/network-policy/network_policy_role.yaml',
    template: `${CHART_DIR}/templates/network-policy-clusterrole.yaml`,
    nameSuffix: '-network-policy',
    condition: '.Values.networkPolicy.enabled',
  },
  {
    kind: 'ClusterRole',
    source: 'config/rbac/intake_reviewer_role.yaml',
    template: `${CHART_DIR}/templates/intake-reviewer-clusterrole.yaml`,
    nameSuffix: '-intake-reviewer',
  },
  {
    kind: 'ClusterRole',
    source: 'config/rbac/metrics_reader_role.yaml',
    template: `${CHART_DIR}/templates/metrics-reader-clusterrole.yaml`,
    nameSuffix: '-metrics-reader',
  },
  {
    kind: 'ClusterRole',
    source: 'config/rbac/ratings_researcher_role.yaml',
    template: `${CHART_DIR}/templates/ratings-researcher-clusterrole.yaml`,
    nameSuffix: '',
    fixedName: 'ratings-researcher',
  },
];

/** A chart template that carries the spec of a Prometheus Operator object kept under config/prometheus. */
export interface DerivedMonitor {
  kind: 'PodMonitor' | 'PrometheusRule';
  source: string;
  template: string;
  /** The values key under `monitoring` that switches it on, e.g. "podMonitor". */
  valuesKey: string;
  /** Appended to the release's full name. */
  nameSuffix: string;
}

export const DERIVED_MONITORS: readonly DerivedMonitor[] = [
  {
    kind: 'PodMonitor',
    source: 'config/prometheus/pod_monitor.yaml',
    template: `${CHART_DIR}/templates/podmonitor.yaml`,
    valuesKey: 'podMonitor',
    nameSuffix: '-experiments',
  },
  {
    kind: 'PrometheusRule',
    source: 'config/prometheus/prometheus_rule.yaml',
    template: `${CHART_DIR}/templates/prometheusrule.yaml`,
    valuesKey: 'prometheusRule',
    nameSuffix: '',
  },
];
/** The label prefix by which the built-in ClusterRoles aggregate others (aggregate-to-view, …). */
export const AGGREGATION_LABEL_PREFIX = 'rbac.authorization.k8s.io/aggregate-to-';

/** A file of the chart and the content it must have, paths relative to the repository root. */
export interface ChartFile {
  path: string;
  content: string;
}

interface RbacRole {
  apiVersion: string;
  kind: RoleKind;
  metadata?: { labels?: Record<string, string> };
  rules: unknown[];
}

function singleRole(yamlText: string, kind: RoleKind, source: string): RbacRole {
  const roles = loadAll(yamlText).filter((doc): doc is RbacRole => {
    const o = doc as Partial<RbacRole> | null;
    return o?.kind === kind && o.apiVersion === 'rbac.authorization.k8s.io/v1';
  });
  if (roles.length !== 1) {
    throw new Error(
      `${source} must hold exactly one rbac.authorization.k8s.io/v1 ${kind}, found ${roles.length}`,
    );
  }
  return roles[0]!;
}

/** The `rules` of the single role of `kind` in a YAML stream; throws when there is not exactly one. */
export function roleRules(yamlText: string, kind: RoleKind, source: string): unknown[] {
  const rules = singleRole(yamlText, kind, source).rules;
  if (!Array.isArray(rules) || rules.length === 0) throw new Error(`${source}: the ${kind} has no rules`);
  return rules;
}

/** The aggregation labels of that role (they decide which built-in roles take its rules in). */
export function aggregationLabels(yamlText: string, kind: RoleKind, source: string): Record<string, string> {
  const labels = singleRole(yamlText, kind, source).metadata?.labels ?? {};
  return Object.fromEntries(
    Object.entries(labels).filter(([key]) => key.startsWith(AGGREGATION_LABEL_PREFIX)),
  );
}

/**
 * The chart template of a role: release-specific metadata around the rules (and the aggregation
 * labels, if any) of its source.
 */
export function roleTemplate(
  role: DerivedRole,
  rules: unknown[],
  aggregation: Record<string, string> = {},
): string {
  return [
    ...(role.condition !== undefined ? [`{{- if ${role.condition} }}`] : []),
    `# Generated by \`npm run chart:sync\` from ${role.source}: edit that file, not this one.`,
    'apiVersion: rbac.authorization.k8s.io/v1',
    `kind: ${role.kind}`,
    'metadata:',
    role.fixedName === undefined
      ? `  name: {{ include "ratings-operator.fullname" . }}${role.nameSuffix}`
      : `  name: ${role.fixedName}`,
    ...(role.kind === 'Role' ? ['  namespace: {{ .Release.Namespace }}'] : []),
    '  labels:',
    '    {{- include "ratings-operator.labels" . | nindent 4 }}',
    ...Object.entries(aggregation).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`),
    dump({ rules }, { lineWidth: -1 }).trimEnd(),
    ...(role.condition !== undefined ? ['{{- end }}'] : []),
    '',
  ].join('\n');
}

/** The `spec` of the single monitoring.coreos.com/v1 object of `kind` in a YAML stream. */
export function monitorSpec(yamlText: string, kind: DerivedMonitor['kind'], source: string): object {
  const found = loadAll(yamlText).filter((doc) => {
    const o = doc as { kind?: unknown; apiVersion?: unknown } | null;
    return o?.kind === kind && o.apiVersion === 'monitoring.coreos.com/v1';
  }) as { spec?: unknown }[];
  if (found.length !== 1) {
    throw new Error(
      `${source} must hold exactly one monitoring.coreos.com/v1 ${kind}, found ${found.length}`,
    );
  }
  const spec = found[0]!.spec;
  if (typeof spec !== 'object' || spec === null) throw new Error(`${source}: the ${kind} has no spec`);
  return spec;
}

/**
 * The chart template of a monitoring object: off unless its value is set, release-specific
 * metadata, the spec of its source. Helm would read the alerts' own `{{ $labels… }}` templates
 * as its actions, so each `{{` is written as an action that prints it.
 */
export function monitorTemplate(monitor: DerivedMonitor, spec: object): string {
  const values = `.Values.monitoring.${monitor.valuesKey}`;
  const specYaml = dump({ spec }, { lineWidth: -1 }).trimEnd().replaceAll('{{', '{{ "{{" }}');
  return [
    `# Generated by \`npm run chart:sync\` from ${monitor.source}: edit that file, not this one.`,
    `{{- if ${values}.enabled }}`,
    'apiVersion: monitoring.coreos.com/v1',
    `kind: ${monitor.kind}`,
    'metadata:',
    `  name: {{ include "ratings-operator.fullname" . }}${monitor.nameSuffix}`,
    '  namespace: {{ .Release.Namespace }}',
    '  labels:',
    '    {{- include "ratings-operator.labels" . | nindent 4 }}',
    `    {{- with ${values}.labels }}`,
    '    {{- toYaml . | nindent 4 }}',
    '    {{- end }}',
    specYaml,
    '{{- end }}',
    '',
  ].join('\n');
}

function isCustomResourceDefinition(yamlText: string): boolean {
  return loadAll(yamlText).some(
    (doc) => (doc as { kind?: unknown } | null)?.kind === 'CustomResourceDefinition',
  );
}

function readSource(repoRoot: string, path: string): string {
  const file = join(repoRoot, path);
  if (!existsSync(file)) throw new Error(`${path} not found: the Helm chart is derived from it`);
  return readFileSync(file, 'utf8');
}

/** Every chart file that is derived from a source, with the content it must have. */
export function derivedChartFiles(repoRoot: string): ChartFile[] {
  const crdDir = join(repoRoot, CRD_SOURCE_DIR);
  // Only the CRDs: helm would try to install anything else in the chart's crds/ (such as a
  // kustomization.yaml beside them) as one.
  const crds = readdirSync(crdDir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({
      path: `${CHART_DIR}/crds/${name}`,
      content: readSource(repoRoot, `${CRD_SOURCE_DIR}/${name}`),
    }))
    .filter(({ content }) => isCustomResourceDefinition(content));
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${crdDir}`);
  const roles = DERIVED_ROLES.map((role) => {
    const text = readSource(repoRoot, role.source);
    return {
      path: role.template,
      content: roleTemplate(
        role,
        roleRules(text, role.kind, role.source),
        aggregationLabels(text, role.kind, role.source),
      ),
    };
  });
  const monitors = DERIVED_MONITORS.map((monitor) => ({
    path: monitor.template,
    content: monitorTemplate(
      monitor,
      monitorSpec(readSource(repoRoot, monitor.source), monitor.kind, monitor.source),
    ),
  }));
  return [...crds, ...roles, ...monitors];
}

/** Files in the chart's crds/ that no longer have a source in crds/. */
function staleChartCrds(repoRoot: string, expected: ChartFile[]): string[] {
  const chartCrdDir = join(repoRoot, CHART_DIR, 'crds');
  if (!existsSync(chartCrdDir)) return [];
  return readdirSync(chartCrdDir)
    .map((name) => `${CHART_DIR}/crds/${name}`)
    .filter((path) => !expected.some((file) => file.path === path));
}

function differs(repoRoot: string, { path, content }: ChartFile): boolean {
  const file = join(repoRoot, path);
  return !existsSync(file) || readFileSync(file, 'utf8') !== content;
}

/** Chart files that are missing, differ from their source, or have no source any more. */
export function chartDrift(repoRoot: string): string[] {
  const expected = derivedChartFiles(repoRoot);
  return [
    ...expected.filter((file) => differs(repoRoot, file)).map(({ path }) => path),
    ...staleChartCrds(repoRoot, expected),
  ];
}

/** Brings the chart in line with its sources; returns the paths written or removed. */
export function syncChart(repoRoot: string): string[] {
  const expected = derivedChartFiles(repoRoot);
  const changed: string[] = [];
  for (const file of expected.filter((f) => differs(repoRoot, f))) {
    mkdirSync(dirname(join(repoRoot, file.path)), { recursive: true });
    writeFileSync(join(repoRoot, file.path), file.content);
    changed.push(file.path);
  }
  for (const path of staleChartCrds(repoRoot, expected)) {
    rmSync(join(repoRoot, path));
    changed.push(path);
  }
  return changed;
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && realpathSync(invokedPath) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const changed = syncChart(root);
  for (const path of changed) process.stdout.write(`synced ${path}\n`);
  if (changed.length === 0) process.stdout.write(`${CHART_DIR} is in sync with its sources\n`);
}

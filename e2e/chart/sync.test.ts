import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import {
  CHART_DIR,
  DERIVED_MONITORS,
  DERIVED_ROLES,
  aggregationLabels,
  chartDrift,
  monitorSpec,
  monitorTemplate,
  roleRules,
  roleTemplate,
  syncChart,
} from './sync.ts';
import type { DerivedMonitor, DerivedRole } from './sync.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const rules = [
  { apiGroups: ['ratings.conglombo.io'], resources: ['ratingexperiments'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
];
const roleYaml = (kind: string, name: string): string =>
  [
    'apiVersion: rbac.authorization.k8s.io/v1',
    `kind: ${kind}`,
    `metadata: {name: ${name}}`,
    `rules: ${JSON.stringify(rules)}`,
  ].join('\n');
const clusterRoleYaml = roleYaml('ClusterRole', 'manager');
const leaderRoleYaml = `${roleYaml('Role', 'leader')}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n`;

const clusterRole: DerivedRole = {
  kind: 'ClusterRole',
  source: 'config/rbac/cluster_role.yaml',
  template: `${CHART_DIR}/templates/clusterrole.yaml`,
  nameSuffix: '',
};
const leaderRole: DerivedRole = {
  kind: 'Role',
  source: 'config/rbac/leader_election_role.yaml',
  template: `${CHART_DIR}/templates/leader-election-role.yaml`,
  nameSuffix: '-leader-election',
};

const podMonitor: DerivedMonitor = {
  kind: 'PodMonitor',
  source: 'config/prometheus/pod_monitor.yaml',
  template: `${CHART_DIR}/templates/podmonitor.yaml`,
  valuesKey: 'podMonitor',
  nameSuffix: '-experiments',
};
const rule: DerivedMonitor = {
  kind: 'PrometheusRule',
  source: 'config/prometheus/prometheus_rule.yaml',
  template: `${CHART_DIR}/templates/prometheusrule.yaml`,
  valuesKey: 'prometheusRule',
  nameSuffix: '',
};
const ruleSpec = {
  groups: [
    {
      name: 'g',
      rules: [{ alert: 'A', expr: 'up == 0', annotations: { description: '{{ $labels.job }} is down' } }],
    },
  ],
};
const monitorYaml = (kind: string, spec: object): string =>
  `apiVersion: monitoring.coreos.com/v1\nkind: ${kind}\nmetadata: {name: m}\nspec: ${JSON.stringify(spec)}\n`;

/**
 * The spec of a monitor template as helm renders it: the part from `spec:` to the closing
 * `{{- end }}`, with the escaped `{{` printed back.
 */
function templateSpec(template: string): unknown {
  const body = template.slice(template.indexOf('\nspec:'), template.lastIndexOf('{{- end }}'));
  return (load(body.replaceAll('{{ "{{" }}', '{{')) as { spec: unknown }).spec;
}

/** The rules of a role template: everything from `rules:` on is plain YAML. */
function templateRules(template: string): unknown {
  const rules = template.slice(template.indexOf('\nrules:')).replace(/\{\{- end \}\}\n$/, '');
  return (load(rules) as { rules: unknown }).rules;
}

describe('the chart in this repository', () => {
  it('matches its sources (run `npm run chart:sync` after editing crds/ or config/rbac/)', () => {
    expect(chartDrift(repoRoot)).toEqual([]);
  });

  it.each(DERIVED_ROLES.map((role) => [role.template, role] as const))(
    '%s grants exactly the rules of its source',
    (template, role) => {
      const source = roleRules(readFileSync(join(repoRoot, role.source), 'utf8'), role.kind, role.source);
      expect(templateRules(readFileSync(join(repoRoot, template), 'utf8'))).toEqual(source);
    },
  );

  it.each(DERIVED_MONITORS.map((monitor) => [monitor.template, monitor] as const))(
    '%s carries exactly the spec of its source',
    (template, monitor) => {
      const source = monitorSpec(
        readFileSync(join(repoRoot, monitor.source), 'utf8'),
        monitor.kind,
        monitor.source,
      );
      expect(templateSpec(readFileSync(join(repoRoot, template), 'utf8'))).toEqual(source);
    },
  );
});

describe('monitorSpec', () => {
  it('takes the spec of the one object of the kind asked for', () => {
    expect(monitorSpec(monitorYaml('PrometheusRule', ruleSpec), 'PrometheusRule', 'r.yaml')).toEqual(
      ruleSpec,
    );
  });

  it('refuses a file without that object, or with two, naming the file', () => {
    expect(() => monitorSpec(monitorYaml('PodMonitor', {}), 'PrometheusRule', 'r.yaml')).toThrow(
      'r.yaml must hold exactly one monitoring.coreos.com/v1 PrometheusRule, found 0',
    );
    const two = `${monitorYaml('PodMonitor', {})}---\n${monitorYaml('PodMonitor', {})}`;
    expect(() => monitorSpec(two, 'PodMonitor', 'p.yaml')).toThrow('found 2');
  });

  it('refuses an object without a spec', () => {
    const bare = 'apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: m}\n';
    expect(() => monitorSpec(bare, 'PodMonitor', 'p.yaml')).toThrow('p.yaml: the PodMonitor has no spec');
  });
});

describe('monitorTemplate', () => {
  it('is off unless its value is set, and names itself after the release in the release namespace', () => {
    const template = monitorTemplate(podMonitor, { selector: {} });
    expect(template.split('\n').slice(0, 2)).toEqual([
      '# Generated by `npm run chart:sync` from config/prometheus/pod_monitor.yaml: edit that file, not this one.',
      '{{- if .Values.monitoring.podMonitor.enabled }}',
    ]);
    expect(template).toContain(
      'metadata:\n  name: {{ include "ratings-operator.fullname" . }}-experiments\n' +
        '  namespace: {{ .Release.Namespace }}\n',
    );
    expect(template).toContain('{{- with .Values.monitoring.podMonitor.labels }}');
    expect(template.trimEnd().endsWith('{{- end }}')).toBe(true);
  });

  it("keeps the alerts' own templates away from helm, and the spec otherwise unchanged", () => {
    const template = monitorTemplate(rule, ruleSpec);
    expect(template).toContain('description: \'{{ "{{" }} $labels.job }} is down\'');
    expect(templateSpec(template)).toEqual(ruleSpec);
  });
});

describe('roleRules', () => {
  it('takes the rules of the one role of the kind asked for in a stream of documents', () => {
    expect(roleRules(leaderRoleYaml, 'Role', 'leader.yaml')).toEqual(rules);
    expect(roleRules(`${leaderRoleYaml}\n---\n${clusterRoleYaml}`, 'ClusterRole', 'x.yaml')).toEqual(rules);
  });

  it('refuses a file without that kind of role, naming the file', () => {
    expect(() => roleRules(leaderRoleYaml, 'ClusterRole', 'leader.yaml')).toThrow(
      'leader.yaml must hold exactly one rbac.authorization.k8s.io/v1 ClusterRole, found 0',
    );
  });

  it('refuses two, since it could not tell which one the chart should carry', () => {
    expect(() => roleRules(`${clusterRoleYaml}\n---\n${clusterRoleYaml}\n`, 'ClusterRole', 'r.yaml')).toThrow(
      'found 2',
    );
  });

  it('refuses a role without rules', () => {
    const empty =
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n';
    expect(() => roleRules(empty, 'ClusterRole', 'r.yaml')).toThrow('r.yaml: the ClusterRole has no rules');
  });
});

describe('aggregationLabels', () => {
  it('takes only the aggregate-to-* labels of the role', () => {
    const labelled = [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRole',
      'metadata:',
      '  name: viewer',
      '  labels:',
      '    app.kubernetes.io/name: ratings-operator',
      "    rbac.authorization.k8s.io/aggregate-to-view: 'true'",
      `rules: ${JSON.stringify(rules)}`,
    ].join('\n');
    expect(aggregationLabels(labelled, 'ClusterRole', 'v.yaml')).toEqual({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
    expect(aggregationLabels(clusterRoleYaml, 'ClusterRole', 'c.yaml')).toEqual({});
  });
});

describe('the aggregated roles of config/rbac', () => {
  it.each([
    ['viewer', 'view'],
    ['editor', 'edit'],
    ['admin', 'admin'],
  ])('the %s role joins the built-in %s role, and only that one', (role, builtIn) => {
    const source = `config/rbac/ratingexperiment_${role}_role.yaml`;
    expect(aggregationLabels(readFileSync(join(repoRoot, source), 'utf8'), 'ClusterRole', source)).toEqual({
      [`rbac.authorization.k8s.io/aggregate-to-${builtIn}`]: 'true',
    });
  });
});

describe('roleTemplate', () => {
  it('carries the rules unchanged and says where they come from', () => {
    const template = roleTemplate(clusterRole, rules);
    expect(templateRules(template)).toEqual(rules);
    expect(template.split('\n')[0]).toBe(
      '# Generated by `npm run chart:sync` from config/rbac/cluster_role.yaml: edit that file, not this one.',
    );
  });

  it('names a ClusterRole after the release, with no namespace', () => {
    const template = roleTemplate(clusterRole, rules);
    expect(template).toContain(
      'kind: ClusterRole\nmetadata:\n  name: {{ include "ratings-operator.fullname" . }}\n',
    );
    expect(template).not.toContain('namespace:');
  });

  it('keeps the aggregation labels of its source, which decide the built-in roles it joins', () => {
    const template = roleTemplate(clusterRole, rules, {
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
    expect(template).toContain(
      '    {{- include "ratings-operator.labels" . | nindent 4 }}\n' +
        '    rbac.authorization.k8s.io/aggregate-to-view: "true"\nrules:\n',
    );
  });

  it('renders a role with a condition only when its value is true', () => {
    const template = roleTemplate({ ...clusterRole, condition: '.Values.feature.enabled' }, rules);
    expect(template.startsWith('{{- if .Values.feature.enabled }}\n# Generated by')).toBe(true);
    expect(template.endsWith('\n{{- end }}\n')).toBe(true);
    expect(templateRules(template)).toEqual(rules);
  });

  it('puts a Role in the release namespace, its name suffixed', () => {
    expect(roleTemplate(leaderRole, rules)).toContain(
      'kind: Role\nmetadata:\n  name: {{ include "ratings-operator.fullname" . }}-leader-election\n' +
        '  namespace: {{ .Release.Namespace }}\n',
    );
  });
});

describe('roleTemplate with a fixed name', () => {
  it('names the role as users bind it, without the release prefix', () => {
    const researcher: DerivedRole = { ...clusterRole, nameSuffix: '', fixedName: 'ratings-researcher' };
    expect(roleTemplate(researcher, rules)).toContain(
      'kind: ClusterRole\nmetadata:\n  name: ratings-researcher\n',
    );
  });
});

describe('syncChart on a scratch repository', () => {
  let root: string;
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const crdCopy = `${CHART_DIR}/crds/example.yaml`;
  const otherRoles = DERIVED_ROLES.filter(
    (r) => r.source !== clusterRole.source && r.source !== leaderRole.source,
  );
  const derived = [
    crdCopy,
    clusterRole.template,
    leaderRole.template,
    ...otherRoles.map((r) => r.template),
    podMonitor.template,
    rule.template,
  ];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'chart-sync-'));
    write('crds/example.yaml', 'kind: CustomResourceDefinition\n');
    write(clusterRole.source, clusterRoleYaml);
    write(leaderRole.source, leaderRoleYaml);
    for (const role of otherRoles) write(role.source, clusterRoleYaml);
    write(podMonitor.source, monitorYaml('PodMonitor', { selector: {} }));
    write(rule.source, monitorYaml('PrometheusRule', ruleSpec));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports every derived file as drifted before the first sync', () => {
    expect(chartDrift(root)).toEqual(derived);
  });

  it('writes the copies, then finds nothing to do', () => {
    expect(syncChart(root)).toEqual(derived);
    expect(readFileSync(join(root, crdCopy), 'utf8')).toBe('kind: CustomResourceDefinition\n');
    expect(chartDrift(root)).toEqual([]);
    expect(syncChart(root)).toEqual([]);
  });

  it('detects a hand edit of a chart copy and a changed source', () => {
    syncChart(root);
    write(crdCopy, 'kind: CustomResourceDefinition # edited\n');
    write(clusterRole.source, clusterRoleYaml.replace('"create","patch"', '"create"'));
    write(rule.source, monitorYaml('PrometheusRule', { groups: [] }));
    expect(chartDrift(root)).toEqual([crdCopy, clusterRole.template, rule.template]);
  });

  it('removes a chart CRD whose source is gone', () => {
    syncChart(root);
    write(`${CHART_DIR}/crds/retired.yaml`, 'kind: CustomResourceDefinition\n');
    expect(chartDrift(root)).toEqual([`${CHART_DIR}/crds/retired.yaml`]);
    expect(syncChart(root)).toEqual([`${CHART_DIR}/crds/retired.yaml`]);
    expect(existsSync(join(root, CHART_DIR, 'crds/retired.yaml'))).toBe(false);
  });

  it('copies only the CRDs of crds/, not a kustomization beside them', () => {
    write('crds/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n');
    expect(syncChart(root)).toEqual(derived);
    expect(existsSync(join(root, CHART_DIR, 'crds/kustomization.yaml'))).toBe(false);
  });

  it('refuses a crds/ without any CRD', () => {
    write('crds/example.yaml', 'kind: ConfigMap\n');
    expect(() => chartDrift(root)).toThrow('no CustomResourceDefinition found in');
  });

  it('names a missing source', () => {
    rmSync(join(root, leaderRole.source));
    expect(() => chartDrift(root)).toThrow(
      'config/rbac/leader_election_role.yaml not found: the Helm chart is derived from it',
    );
  });
});

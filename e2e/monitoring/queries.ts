// The PromQL of the monitoring objects, taken apart for testing against a real Prometheus: every
// expression of the Grafana dashboard (panels and variables) and of the alerts, Grafana's
// variables filled in, thresholds taken off where an alert's condition is legitimately false.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../stack/paths.ts';

export const DASHBOARD_FILE = 'charts/ratings-operator/dashboards/ratings-operator.json';
export const RULES_FILE = 'config/prometheus/prometheus_rule.yaml';

export interface NamedQuery {
  /** Where it comes from, e.g. `panel "Consumer lag" A` or `alert RatingsLost`. */
  source: string;
  expr: string;
}

interface Target {
  refId?: string;
  expr?: string;
}
interface Panel {
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
}
export interface Dashboard {
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string }[];
}

export function readDashboard(root: string = repoRoot): Dashboard {
  return JSON.parse(readFileSync(join(root, DASHBOARD_FILE), 'utf8')) as Dashboard;
}

export function readRuleGroups(root: string = repoRoot): RuleGroup[] {
  const rule = load(readFileSync(join(root, RULES_FILE), 'utf8')) as { spec: { groups: RuleGroup[] } };
  return rule.spec.groups;
}

/** The expression of every target of every panel, rows' panels included. */
export function panelQueries(dashboard: Dashboard): NamedQuery[] {
  const walk = (panels: Panel[]): NamedQuery[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((t) =>
        t.expr === undefined ? [] : [{ source: `panel "${panel.title}" ${t.refId}`, expr: t.expr }],
      ),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

/**
 * The query variables as PromQL: Grafana's `label_values(<selector>, <label>)` asks for the values
 * of `<label>` on the series of `<selector>`, so the selector must answer with series carrying it.
 */
export function variableQueries(dashboard: Dashboard): (NamedQuery & { label: string })[] {
  return (dashboard.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => {
      const text = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(text.trim());
      if (match === null)
        throw new Error(`variable ${v.name}: not a label_values(selector, label) query: ${text}`);
      return { source: `variable ${v.name}`, expr: match[1]!, label: match[2]! };
    });
}

/**
 * Grafana's variables replaced by values: `$name` and `${name}` from `values`, `$__rate_interval`
 * by `rateInterval`. An unknown variable is an error, not left for Prometheus to choke on.
 */
export function fillVariables(expr: string, values: Record<string, string>, rateInterval: string): string {
  return expr.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (name === '__rate_interval') return rateInterval;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the dashboard variable $${name} in ${expr}`);
    return value;
  });
}

export function ruleQueries(groups: RuleGroup[]): NamedQuery[] {
  return groups.flatMap((g) =>
    g.rules.map((r) => ({
      source: r.alert !== undefined ? `alert ${r.alert}` : `record ${r.record}`,
      expr: r.expr,
    })),
  );
}

/**
 * Positions in `expr` that are outside every (), [], {} and string: where PromQL's binary
 * operators of the whole expression can be.
 */
function topLevel(expr: string): boolean[] {
  const outside: boolean[] = [];
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote !== undefined) {
      outside.push(false);
      if (c === '\\') {
        outside.push(false);
        i++;
      } else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    outside.push(depth === 0 && quote === undefined && !'([{'.includes(c));
  }
  return outside;
}

/** Whether every bracket of `expr` closes inside it (so `absent(a) + absent(b)` is not one call). */
function balanced(expr: string): boolean {
  let depth = 0;
  for (const c of expr) {
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth < 0) return false;
  }
  return depth === 0;
}

/** The operands of the top-level `and`, `or` and `unless` of an expression. */
export function setOperands(expr: string): string[] {
  const outside = topLevel(expr);
  const operands: string[] = [];
  let start = 0;
  for (const match of expr.matchAll(/\s(and|or|unless)\s/g)) {
    if (match.index >= start && outside[match.index + 1] === true) {
      operands.push(expr.slice(start, match.index).trim());
      start = match.index + match[0].length;
    }
  }
  operands.push(expr.slice(start).trim());
  return operands;
}

/** `expr` without a top-level comparison with a number at its end (`x > 0.01` gives `x`). */
export function withoutThreshold(expr: string): string {
  const outside = topLevel(expr);
  const comparison = /(==|!=|>=|<=|>|<)\s*(bool\s+)?-?[0-9.]+(e[+-]?[0-9]+)?\s*$/.exec(expr);
  if (comparison === null || outside[comparison.index] !== true) return expr;
  return expr.slice(0, comparison.index).trim();
}

/**
 * What of an alert's expression must answer with series whenever its metrics are scraped: each
 * operand of its top-level `and`/`or`, without its threshold (a condition that is false answers
 * nothing, legitimately), and for `absent(x)`, which answers nothing while x exists, x itself.
 */
export function dataQueries(expr: string): string[] {
  return setOperands(expr).map((operand) => {
    const bare = withoutThreshold(operand);
    const absent = /^absent\((.*)\)$/s.exec(bare);
    return absent !== null && balanced(absent[1]!) ? absent[1]!.trim() : bare;
  });
}

/**
 * Every selector of this project's metrics (`ratings_…`, a prefix no label name has) narrowed by
 * one more matcher, e.g. `job=~"mine-.*"`, so that an answer can only come from those targets.
 */
export function narrowed(expr: string, matcher: string): string {
  return expr.replace(/\b(ratings_[a-zA-Z0-9_]+)\b(\{)?/g, (_, name: string, brace?: string) =>
    brace === undefined ? `${name}{${matcher}}` : `${name}{${matcher},`,
  );
}

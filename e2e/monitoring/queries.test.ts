import {
  dataQueries,
  fillVariables,
  narrowed,
  panelQueries,
  readDashboard,
  readRuleGroups,
  ruleQueries,
  setOperands,
  variableQueries,
  withoutThreshold,
} from './queries.ts';

describe('setOperands', () => {
  it('splits at the top-level and/or/unless only', () => {
    expect(setOperands('a > 0 and b{x="y or z"} > 1000')).toEqual(['a > 0', 'b{x="y or z"} > 1000']);
    expect(setOperands('sum by (job) (x) < 1 or absent(x)')).toEqual(['sum by (job) (x) < 1', 'absent(x)']);
    expect(setOperands('max((a and b)) unless c')).toEqual(['max((a and b))', 'c']);
    expect(setOperands('rate(x[5m])')).toEqual(['rate(x[5m])']);
  });
});

describe('withoutThreshold', () => {
  it('takes off a top-level comparison with a number', () => {
    expect(withoutThreshold('x{type="Ready"} == 0')).toBe('x{type="Ready"}');
    expect(withoutThreshold('sum(rate(a[5m])) / sum(rate(b[5m])) > 0.01')).toBe(
      'sum(rate(a[5m])) / sum(rate(b[5m]))',
    );
    expect(withoutThreshold('x >= bool 1e3')).toBe('x');
  });

  it('leaves comparisons inside brackets or strings, and expressions without one', () => {
    expect(withoutThreshold('max(x > 0)')).toBe('max(x > 0)');
    expect(withoutThreshold('x{a="> 1"}')).toBe('x{a="> 1"}');
    expect(withoutThreshold('rate(x[5m])')).toBe('rate(x[5m])');
  });
});

describe('dataQueries', () => {
  it('gives each operand without its threshold, and what absent() looks for', () => {
    expect(dataQueries('sum by (namespace, job) (l) < 1 or absent(l)')).toEqual([
      'sum by (namespace, job) (l)',
      'l',
    ]);
    expect(dataQueries('absent(a) + absent(b)')).toEqual(['absent(a) + absent(b)']);
  });
});

describe('fillVariables', () => {
  it('fills $name, ${name} and $__rate_interval', () => {
    expect(
      fillVariables(
        'rate(x{ns="$namespace",e="${experiment}"}[$__rate_interval])',
        { namespace: 'n', experiment: 'e' },
        '1m',
      ),
    ).toBe('rate(x{ns="n",e="e"}[1m])');
  });

  it('refuses a variable it has no value for', () => {
    expect(() => fillVariables('x{a="$nope"}', {}, '1m')).toThrow(
      'no value for the dashboard variable $nope',
    );
  });
});

describe('narrowed', () => {
  it("adds a matcher to every selector of the project's metrics, and nothing else", () => {
    expect(
      narrowed('max by (voice) (ratings_voice_sum{experiment="e"}) / ratings_voice_count', 'job="j"'),
    ).toBe('max by (voice) (ratings_voice_sum{job="j",experiment="e"}) / ratings_voice_count{job="j"}');
    expect(narrowed('histogram_quantile(0.5, sum by (le) (rate(ratings_x_bucket[1m])))', 'job="j"')).toBe(
      'histogram_quantile(0.5, sum by (le) (rate(ratings_x_bucket{job="j"}[1m])))',
    );
  });
});

describe("the repository's dashboard and alerts", () => {
  const dashboard = readDashboard();

  it('has a query in every panel but rows, each naming only variables the dashboard defines', () => {
    const queries = panelQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const values = { datasource: 'x', namespace: 'n', experiment: 'e' };
    const defined = (dashboard.templating?.list ?? []).map((v) => (v as { name: string }).name).sort();
    expect(defined).toEqual(Object.keys(values).sort());
    for (const { expr } of queries) expect(() => fillVariables(expr, values, '1m')).not.toThrow();
  });

  it('picks the experiment by variables whose label_values selectors are plain PromQL', () => {
    expect(variableQueries(dashboard).map((v) => [v.source, v.label])).toEqual([
      ['variable namespace', 'experiment_namespace'],
      ['variable experiment', 'experiment'],
    ]);
  });

  it('has the seven alerts of the README, each with something to ask Prometheus for data', () => {
    const alerts = ruleQueries(readRuleGroups());
    expect(alerts.map((a) => a.source)).toEqual([
      'alert RatingExperimentNotReady',
      'alert RatingExperimentConsumerLagGrowing',
      'alert RatingsRejected',
      'alert RatingsLost',
      'alert RatingCheckpointsFailing',
      'alert RatingsProducerBelowRate',
      'alert RatingsOperatorNoLeader',
    ]);
    for (const { expr } of alerts) for (const q of dataQueries(expr)) expect(q).toMatch(/ratings_\w+/);
  });
});

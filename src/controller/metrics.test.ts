import { resources } from '../common/kube-resources.ts';
import { ControllerMetrics } from './metrics.ts';

describe('ControllerMetrics.countReconcile', () => {
  it('counts the requests made on behalf of each reconcile, across awaits, and no others', async () => {
    const metrics = new ControllerMetrics();
    const request = () => metrics.countRequest('get', resources.kafkaTopic);
    request(); // an informer's or the lease's request: outside any reconcile
    const reconcile = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setTimeout(r, 1));
        request();
      }
    };
    // Two reconciles interleaved, as the workers run them.
    await Promise.all([
      metrics.countReconcile(() => reconcile(3)),
      metrics.countReconcile(() => reconcile(0)),
    ]);
    request();

    const histogram = (
      await metrics.registry.getSingleMetricAsString('ratings_operator_reconcile_api_requests')
    )
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(histogram).toContain('ratings_operator_reconcile_api_requests_sum 3');
    expect(histogram).toContain('ratings_operator_reconcile_api_requests_count 2');
    expect(histogram).toContain('ratings_operator_reconcile_api_requests_bucket{le="0"} 1');
    expect(histogram).toContain('ratings_operator_reconcile_api_requests_bucket{le="2"} 1');
    expect(histogram).toContain('ratings_operator_reconcile_api_requests_bucket{le="3"} 2');
  });
});

describe('ControllerMetrics', () => {
  it('has every reconcile result and error class at 0 before the first one, so that rates and alerts see a series', async () => {
    const text = await new ControllerMetrics().registry.metrics();
    const series = (name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`));
    expect(series('ratings_operator_reconcile_total').sort()).toEqual([
      'ratings_operator_reconcile_total{result="error"} 0',
      'ratings_operator_reconcile_total{result="success"} 0',
    ]);
    for (const name of ['ratings_operator_reconcile_errors_total', 'ratings_operator_apply_failures_total'])
      expect(series(name).sort()).toEqual([`${name}{class="terminal"} 0`, `${name}{class="transient"} 0`]);
    expect(text).toContain('ratings_operator_leader 0');
  });
});

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

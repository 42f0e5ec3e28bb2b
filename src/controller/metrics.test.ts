import { ControllerMetrics } from './metrics.ts';

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

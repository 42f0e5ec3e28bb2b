import { Registry } from 'prom-client';
import { createProducerMetrics } from './metrics.ts';

describe('createProducerMetrics', () => {
  it('has both sources at 0 before the first rating, so that rates and alerts see a series', async () => {
    const registry = new Registry();
    createProducerMetrics(registry);
    const lines = (await registry.metrics())
      .split('\n')
      .filter((l) => /^ratings_producer_\w+_total\{/.test(l));
    expect(lines.sort()).toEqual([
      'ratings_producer_failed_total{source="generated"} 0',
      'ratings_producer_failed_total{source="http"} 0',
      'ratings_producer_produced_total{source="generated"} 0',
      'ratings_producer_produced_total{source="http"} 0',
    ]);
  });

  it('counts acknowledged ratings by source', async () => {
    const registry = new Registry();
    createProducerMetrics(registry).produced.inc({ source: 'http' }, 3);
    expect(await registry.metrics()).toContain('ratings_producer_produced_total{source="http"} 3');
  });
});

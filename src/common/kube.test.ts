import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from './kube.ts';

describe('loadKubeConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file the given environment names', () => {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:16443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    expect(loadKubeConfig({ KUBECONFIG: path }).getCurrentCluster()?.server).toBe('https://127.0.0.1:16443');
  });

  it('names a KUBECONFIG that does not exist', () => {
    const missing = join(dir, 'missing');
    expect(() => loadKubeConfig({ KUBECONFIG: missing })).toThrow(`KUBECONFIG points to ${missing}`);
  });
});

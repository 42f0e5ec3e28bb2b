import { KubeConfig } from '@kubernetes/client-node';
import { podKubeconfig } from './pod-credentials.ts';

describe('podKubeconfig', () => {
  it('loads as a kubeconfig whose user reads its token from the file', () => {
    const config = podKubeconfig(
      { server: 'https://127.0.0.1:16443', caData: 'Q0E=' },
      'appdev_consumer-1',
      '/t/token',
    );
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify(config));
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:16443', caData: 'Q0E=' });
    expect(kc.getCurrentUser()?.authProvider).toEqual({
      name: 'tokenFile',
      config: { tokenFile: '/t/token' },
    });
    expect(JSON.stringify(config)).not.toMatch(/"token"/);
  });
});

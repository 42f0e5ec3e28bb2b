import { kubernetesVersionFlags } from './install.ts';

describe('kubernetesVersionFlags', () => {
  it('stamps the pinned release into the server and client version packages', () => {
    const flags = kubernetesVersionFlags('require (\n\tk8s.io/kubernetes v1.36.3\n)\n');
    expect(flags).toContain('-X k8s.io/component-base/version.gitVersion=v1.36.3');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMinor=36');
    expect(flags).toContain('-X k8s.io/client-go/pkg/version.gitMajor=1');
  });

  it('fails when go.mod pins no Kubernetes', () => {
    expect(() => kubernetesVersionFlags('module x\n')).toThrow(/does not pin k8s.io\/kubernetes/);
  });
});

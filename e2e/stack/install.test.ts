import { classifyError, describeFailure, isUserFacing } from '../../src/common/errors.ts';
import { InstallError, kubernetesVersionFlags } from './install.ts';
import { StackError } from './stack.ts';

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

describe('the stack’s errors', () => {
  it('are coded, terminal and user-facing: the CLI prints their message alone', () => {
    for (const err of [new InstallError('go build failed'), new StackError('etcd did not start')]) {
      expect(classifyError(err)).toBe('terminal');
      expect(isUserFacing(err)).toBe(true);
      expect(describeFailure(err)).toBe(err.message);
    }
    expect(new InstallError('x').code).toBe('RATINGS_STACK_INSTALL_FAILED');
    expect(new StackError('x').code).toBe('RATINGS_STACK_FAILED');
  });
});

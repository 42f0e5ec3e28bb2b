// The stack's dependency graph: the order it starts in, and the mistakes a declaration can make.
import { dependencyOrder } from './part.ts';
import { stackParts } from './parts.ts';
import { ports } from './paths.ts';

const part = (name: string, needs: string[] = []) => ({ name, needs });
const names = (parts: { name: string }[]) => parts.map((p) => p.name);

describe('dependencyOrder', () => {
  it('keeps the declared order where the needs allow it', () => {
    expect(names(dependencyOrder([part('a'), part('b', ['a']), part('c')]))).toEqual(['a', 'b', 'c']);
  });

  it('puts every part after the parts it needs', () => {
    const order = names(
      dependencyOrder([part('kubelet', ['image', 'containerd']), part('containerd'), part('image')]),
    );
    expect(order).toEqual(['image', 'containerd', 'kubelet']);
  });

  it('refuses a need that names no part, a name given twice and a cycle', () => {
    expect(() => dependencyOrder([part('kubelet', ['pause-image'])])).toThrow(
      'kubelet needs pause-image, which the stack does not declare',
    );
    expect(() => dependencyOrder([part('etcd'), part('etcd')])).toThrow('the stack declares etcd twice');
    expect(() => dependencyOrder([part('x'), part('a', ['b']), part('b', ['c']), part('c', ['a'])])).toThrow(
      "the stack's parts need each other: a → b → c → a",
    );
  });
});

describe('the stack', () => {
  const declared = stackParts({
    ports: ports(),
    installed: { prometheus: 'prometheus', openssl: 'openssl', java: 'java' },
    kubeconfigs: {},
  });

  it('declares every part it needs, without a cycle', () => {
    const order = names(dependencyOrder(declared));
    for (const p of declared) {
      for (const need of p.needs) expect(order.indexOf(need)).toBeLessThan(order.indexOf(p.name));
    }
  });

  it('starts the kubelet once the pause image is imported, and the stand-ins once the Strimzi fixtures are in place', () => {
    const needs = new Map(declared.map((p) => [p.name, p.needs]));
    expect(needs.get('kubelet')).toContain('pause-image');
    expect(needs.get('pause-image')).toEqual(expect.arrayContaining(['containerd', 'pause-image-build']));
    expect(needs.get('topic-operator')).toContain('strimzi-fixtures');
  });
});

// The teardown deletes rules by the arguments iptables-save prints for them.
import { splitRule } from './node.ts';

describe('splitRule', () => {
  it('keeps quoted comments whole, as iptables -D needs them', () => {
    expect(
      splitRule('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'),
    ).toEqual([
      '-A',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      'kubernetes forwarding rules',
      '-j',
      'KUBE-FORWARD',
    ]);
  });

  it('unescapes quotes inside a quoted word', () => {
    expect(splitRule('-A X --comment "a \\"b\\" c" -j DROP')).toEqual([
      '-A',
      'X',
      '--comment',
      'a "b" c',
      '-j',
      'DROP',
    ]);
  });

  it('splits plain rules on whitespace', () => {
    expect(splitRule('-A INPUT -i ratings0 -j RETURN')).toEqual([
      '-A',
      'INPUT',
      '-i',
      'ratings0',
      '-j',
      'RETURN',
    ]);
  });
});

import { Store } from './store.ts';
import type { KubeObject } from '../common/kube-resources.ts';

const obj = (name: string, resourceVersion: string, namespace = 'ns'): KubeObject => ({
  metadata: { name, namespace, resourceVersion },
});

describe('Store', () => {
  it('reports an add, then an update when the resourceVersion changes', () => {
    const store = new Store();
    expect(store.upsert(obj('a', '1'))).toEqual({ type: 'add', object: obj('a', '1') });
    expect(store.upsert(obj('a', '2'))).toEqual({
      type: 'update',
      old: obj('a', '1'),
      object: obj('a', '2'),
    });
    expect(store.get('ns', 'a')).toEqual(obj('a', '2'));
  });

  it('ignores an event it has already seen', () => {
    const store = new Store();
    store.upsert(obj('a', '1'));
    expect(store.upsert(obj('a', '1'))).toBeUndefined();
  });

  it('reports a delete with the cached object, and nothing for an unknown one', () => {
    const store = new Store();
    store.upsert(obj('a', '1'));
    expect(store.remove(obj('a', '5'))).toEqual({ type: 'delete', object: obj('a', '1') });
    expect(store.remove(obj('a', '5'))).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('turns a relist into deletes for vanished objects, adds and updates for the rest', () => {
    const store = new Store();
    store.replace([obj('gone', '1'), obj('same', '1'), obj('changed', '1')]);
    const changes = store.replace([obj('same', '1'), obj('changed', '2'), obj('new', '3')]);
    expect(changes).toEqual([
      { type: 'delete', object: obj('gone', '1') },
      { type: 'update', old: obj('changed', '1'), object: obj('changed', '2') },
      { type: 'add', object: obj('new', '3') },
    ]);
    expect(store.list().map((o) => o.metadata?.name)).toEqual(['same', 'changed', 'new']);
  });

  it('assumes the answer to a write silently, so that its watch event changes nothing', () => {
    const store = new Store();
    store.upsert(obj('a', '5'));
    expect(store.assume(obj('a', '9'))).toBe(true);
    expect(store.get('ns', 'a')).toEqual(obj('a', '9'));
    expect(store.upsert(obj('a', '9'))).toBeUndefined();
  });

  it('never assumes over a newer cached version', () => {
    const store = new Store();
    store.upsert(obj('a', '10'));
    expect(store.assume(obj('a', '9'))).toBe(false);
    expect(store.get('ns', 'a')).toEqual(obj('a', '10'));
    expect(store.assume(obj('b', '1'))).toBe(true);
  });

  it('ignores a late watch event older than what it holds', () => {
    const store = new Store();
    store.assume(obj('a', '20'));
    expect(store.upsert(obj('a', '15'))).toBeUndefined();
    expect(store.get('ns', 'a')).toEqual(obj('a', '20'));
  });

  it('takes a relist as the truth, even over an assumed newer version', () => {
    const store = new Store();
    store.assume(obj('a', '20'));
    expect(store.replace([obj('a', '18')])).toEqual([
      { type: 'update', old: obj('a', '20'), object: obj('a', '18') },
    ]);
  });

  it('lists one namespace or all of them', () => {
    const store = new Store();
    store.replace([obj('a', '1', 'x'), obj('b', '1', 'y')]);
    expect(store.list('x').map((o) => o.metadata?.name)).toEqual(['a']);
    expect(store.list()).toHaveLength(2);
  });
});

// The local cache behind an informer: objects by namespace/name, and the change each list or
// watch event makes to it, reported as add/update/delete so that handlers see every transition
// even when a relist replaces the whole content.
import { objectKey, type KubeObject } from '../common/kube-resources.ts';

export type Change<T> =
  { type: 'add'; object: T } | { type: 'update'; old: T; object: T } | { type: 'delete'; object: T };

export class Store<T extends KubeObject> {
  private readonly objects = new Map<string, T>();

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get size(): number {
    return this.objects.size;
  }

  /**
   * An ADDED or MODIFIED event. Nothing happens when the cache already holds this version or a
   * newer one (the answer to our own write, assumed before the watch caught up).
   */
  upsert(object: T): Change<T> | undefined {
    const key = objectKey(object);
    const old = this.objects.get(key);
    if (old !== undefined && !isNewer(object, old)) return undefined;
    this.objects.set(key, object);
    return old === undefined ? { type: 'add', object } : { type: 'update', old, object };
  }

  /**
   * The server's answer to our own write, cached before its watch event arrives (which then,
   * with the same resourceVersion, changes nothing). Ignored when the cache already holds a
   * newer version; resourceVersions are compared as the integers the API server issues.
   */
  assume(object: T): boolean {
    const key = objectKey(object);
    const cached = this.objects.get(key);
    if (cached !== undefined && !isNewer(object, cached)) return false;
    this.objects.set(key, object);
    return true;
  }

  /** A DELETED event. */
  remove(object: T): Change<T> | undefined {
    const key = objectKey(object);
    const old = this.objects.get(key);
    if (old === undefined) return undefined;
    this.objects.delete(key);
    return { type: 'delete', object: old };
  }

  /** A fresh list: objects missing from it were deleted while we were not watching. */
  replace(objects: T[]): Change<T>[] {
    const fresh = new Set(objects.map(objectKey));
    const changes: Change<T>[] = [];
    for (const [key, old] of this.objects) {
      if (!fresh.has(key)) {
        this.objects.delete(key);
        changes.push({ type: 'delete', object: old });
      }
    }
    // A list is the server's truth: it replaces whatever was cached or assumed.
    for (const object of objects) {
      const key = objectKey(object);
      const old = this.objects.get(key);
      if (old?.metadata?.resourceVersion === object.metadata?.resourceVersion) continue;
      this.objects.set(key, object);
      changes.push(old === undefined ? { type: 'add', object } : { type: 'update', old, object });
    }
    return changes;
  }
}

/**
 * Whether `next` is a later version than `cached`. resourceVersions are opaque to clients in
 * principle; the API server issues them from etcd's increasing revision, and comparing them as
 * integers is what keeps a late watch event from undoing an assumed write.
 */
function isNewer(next: KubeObject, cached: KubeObject): boolean {
  const a = next.metadata?.resourceVersion;
  const b = cached.metadata?.resourceVersion;
  if (a === b) return false;
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x > y : true;
}

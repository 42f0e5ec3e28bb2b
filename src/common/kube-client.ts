// The one Kubernetes I/O layer of the three modes (controller, producer, consumer): a small REST
// client for the Kubernetes API, its typed verbs over one connection pool (kube-request.ts) and
// watches (kube-watch.ts). The generated @kubernetes/client-node APIs convert objects into model
// classes (Dates, renamed fields), open a new connection per request and take a large share of
// the controller's memory budget to import (the RSS target of bench/README.md, “bench:controller”);
// we compare live objects with desired JSON and talk to the API server a lot, so we speak JSON
// directly.
//
// Every request has a deadline (requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS by default). Failures
// are ApiError (an answer with an error status), RequestTimeoutError or a socket error;
// classifyError (errors.ts) says which are worth retrying.
import type { Credentials } from './kube-credentials.ts';
import { isNotFound } from './kube-errors.ts';
import { ApiConnection, DEFAULT_REQUEST_TIMEOUT_MS, type RequestSpec } from './kube-request.ts';
import { apiVersionOf, resourcePath, type KubeObject, type ResourceType } from './kube-resources.ts';
import { WATCH_MARGIN_MS, watchEvents, type WatchEvent, type WatchOptions } from './kube-watch.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';

export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'apply', 'delete']);

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type ListOptions = Pick<WatchOptions, 'namespace' | 'labelSelector'>;

export interface KubeClientOptions {
  /** Called once per request, for metrics. */
  onRequest?: (verb: Verb, type: ResourceType) => void;
  userAgent?: string;
  maxSockets?: number;
  /** The deadline of each request but watches; DEFAULT_REQUEST_TIMEOUT_MS when unset. */
  requestTimeoutMs?: number;
  /** How long past its timeoutSeconds a watch may stay open; WATCH_MARGIN_MS when unset. */
  watchMarginMs?: number;
}

/** Per-call options of the requests that accept them. */
export interface RequestOptions {
  /** Overrides the client's deadline for this request (e.g. a lease renewal's remaining time). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class KubeClient {
  private readonly connection: ApiConnection;
  private readonly options: KubeClientOptions;
  readonly requestTimeoutMs: number;

  constructor(credentials: Credentials, options: KubeClientOptions = {}) {
    this.connection = new ApiConnection(credentials, options);
    this.options = options;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async get<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.json<T>(
        'get',
        type,
        { method: 'GET', path: resourcePath(type, { namespace, name }) },
        options,
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Lists every page (500 objects each) and returns the list's resourceVersion to watch from. */
  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.json<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>(
        'list',
        type,
        {
          method: 'GET',
          path: resourcePath(type, { namespace: options.namespace }),
          query: { labelSelector: options.labelSelector, limit: 500, continue: cont },
        },
      );
      // Lists carry apiVersion/kind only on the list itself; restore them on the items.
      for (const item of page.items) items.push({ ...item, apiVersion: apiVersionOf(type), kind: type.kind });
      resourceVersion = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont !== undefined);
    return { items, resourceVersion };
  }

  create<T extends KubeObject>(
    type: ResourceType,
    obj: KubeObject,
    fieldManager: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const path = resourcePath(type, { namespace: obj.metadata?.namespace });
    return this.json<T>(
      'create',
      type,
      { method: 'POST', path, query: { fieldManager }, body: obj },
      options,
    );
  }

  /**
   * PUT: a full replace (of the object or of a subresource such as `status`), guarded by the
   * resourceVersion in `obj` (409 when it is stale).
   */
  update<T extends KubeObject>(
    type: ResourceType,
    obj: KubeObject,
    fieldManager: string,
    options: RequestOptions & { subresource?: string } = {},
  ): Promise<T> {
    const path = resourcePath(type, {
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name,
      subresource: options.subresource,
    });
    return this.json<T>('update', type, { method: 'PUT', path, query: { fieldManager }, body: obj }, options);
  }

  /** Server-side apply of a complete apply configuration, taking over conflicting fields. */
  apply<T extends KubeObject>(
    type: ResourceType,
    obj: KubeObject,
    fieldManager: string,
    subresource?: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const path = resourcePath(type, {
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name,
      subresource,
    });
    return this.json<T>(
      'apply',
      type,
      {
        method: 'PATCH',
        path,
        query: { fieldManager, force: true },
        body: obj,
        contentType: 'application/apply-patch+yaml', // JSON is YAML
      },
      options,
    );
  }

  /** JSON merge patch; put `metadata.resourceVersion` in the patch to make it conditional. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    fieldManager: string,
    subresource?: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return this.json<T>(
      'patch',
      type,
      {
        method: 'PATCH',
        path: resourcePath(type, { namespace, name, subresource }),
        query: { fieldManager },
        body: patch,
        contentType: 'application/merge-patch+json',
      },
      options,
    );
  }

  /** Deletes in the background; true when it was there, false when it was already gone. */
  async delete(
    type: ResourceType,
    namespace: string,
    name: string,
    options: RequestOptions = {},
  ): Promise<boolean> {
    try {
      await this.json(
        'delete',
        type,
        {
          method: 'DELETE',
          path: resourcePath(type, { namespace, name }),
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        },
        options,
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Streams watch events to `onEvent` until the watch ends (see watchEvents). */
  watch(type: ResourceType, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    this.options.onRequest?.('watch', type);
    return watchEvents(
      this.connection,
      type,
      options,
      this.options.watchMarginMs ?? WATCH_MARGIN_MS,
      onEvent,
    );
  }

  close(): void {
    this.connection.close();
  }

  /** One request, counted for metrics, with its deadline covering the answer's headers and body. */
  private json<T>(
    verb: Verb,
    type: ResourceType,
    spec: RequestSpec,
    options: RequestOptions = {},
  ): Promise<T> {
    this.options.onRequest?.(verb, type);
    const name = { what: `${verb} ${type.kind}`, kind: type.kind };
    return this.connection.json<T>(spec, name, options.timeoutMs ?? this.requestTimeoutMs, options.signal);
  }
}

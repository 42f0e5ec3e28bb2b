// A small REST client for the Kubernetes API over one keep-alive connection pool.
// The generated @kubernetes/client-node APIs convert objects into model classes (Dates,
// renamed fields), open a new connection per request and cost ~80 MiB of memory to import;
// the controller compares live objects with desired JSON and talks to the API server a lot,
// so it speaks JSON directly.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { Credentials } from './credentials.ts';
import { apiVersionOf, resourcePath, type KubeObject, type ResourceType } from './resources.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';

export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'apply', 'delete']);

/** A failed API call, with the HTTP status and the Status reason the server gave. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.status === 410;

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion: string;
  timeoutSeconds: number;
  signal: AbortSignal;
}

export interface KubeClientOptions {
  /** Called once per request, for metrics. */
  onRequest?: (verb: Verb, type: ResourceType) => void;
  userAgent?: string;
  maxSockets?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export class KubeClient {
  private readonly credentials: Credentials;
  private readonly agent: http.Agent;
  private readonly options: KubeClientOptions;

  constructor(credentials: Credentials, options: KubeClientOptions = {}) {
    this.credentials = credentials;
    this.options = options;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32 };
    this.agent =
      credentials.server.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...credentials.tls })
        : new http.Agent(agentOptions);
  }

  async get<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.json<T>('get', type, {
        method: 'GET',
        path: resourcePath(type, { namespace, name }),
      });
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

  create<T extends KubeObject>(type: ResourceType, obj: KubeObject, fieldManager: string): Promise<T> {
    const path = resourcePath(type, { namespace: obj.metadata?.namespace });
    return this.json<T>('create', type, { method: 'POST', path, query: { fieldManager }, body: obj });
  }

  /** PUT: a full replace, guarded by the resourceVersion in `obj` (409 when it is stale). */
  update<T extends KubeObject>(type: ResourceType, obj: KubeObject, fieldManager: string): Promise<T> {
    const path = resourcePath(type, { namespace: obj.metadata?.namespace, name: obj.metadata?.name });
    return this.json<T>('update', type, { method: 'PUT', path, query: { fieldManager }, body: obj });
  }

  /** Server-side apply of a complete apply configuration, taking over conflicting fields. */
  apply<T extends KubeObject>(
    type: ResourceType,
    obj: KubeObject,
    fieldManager: string,
    subresource?: string,
  ): Promise<T> {
    const path = resourcePath(type, {
      namespace: obj.metadata?.namespace,
      name: obj.metadata?.name,
      subresource,
    });
    return this.json<T>('apply', type, {
      method: 'PATCH',
      path,
      query: { fieldManager, force: true },
      body: obj,
      contentType: 'application/apply-patch+yaml', // JSON is YAML
    });
  }

  /** JSON merge patch; put `metadata.resourceVersion` in the patch to make it conditional. */
  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    patch: unknown,
    fieldManager: string,
    subresource?: string,
  ): Promise<T> {
    return this.json<T>('patch', type, {
      method: 'PATCH',
      path: resourcePath(type, { namespace, name, subresource }),
      query: { fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /** Deletes in the background; true when it was there, false when it was already gone. */
  async delete(type: ResourceType, namespace: string, name: string): Promise<boolean> {
    try {
      await this.json('delete', type, {
        method: 'DELETE',
        path: resourcePath(type, { namespace, name }),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch (resolves) or the
   * request fails (rejects with an ApiError, e.g. 410 when `resourceVersion` is too old).
   */
  async watch(
    type: ResourceType,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
  ): Promise<void> {
    this.options.onRequest?.('watch', type);
    const res = await this.send({
      method: 'GET',
      path: resourcePath(type, { namespace: options.namespace }),
      query: {
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        timeoutSeconds: options.timeoutSeconds,
      },
      signal: options.signal,
    });
    if (res.statusCode !== 200) throw await errorOf(res, type);
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEvent);
      }
    } catch (err) {
      if (!options.signal.aborted) throw err;
    } finally {
      res.destroy();
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private async json<T>(verb: Verb, type: ResourceType, spec: RequestSpec): Promise<T> {
    this.options.onRequest?.(verb, type);
    const res = await this.send(spec);
    if (res.statusCode === undefined || res.statusCode >= 300) throw await errorOf(res, type);
    return JSON.parse(await readBody(res)) as T;
  }

  private async send(spec: RequestSpec): Promise<http.IncomingMessage> {
    const url = new URL(spec.path, this.credentials.server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'ratings-operator',
    };
    const authorization = this.credentials.authorization();
    if (authorization !== undefined) headers.authorization = authorization;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (body !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      // Not chunked: the API server may answer before reading a chunked body (a DELETE's
      // options), and the bytes left on the kept-alive socket would corrupt the next request.
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: spec.method,
        headers,
        agent: this.agent,
        signal: spec.signal,
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function errorOf(res: http.IncomingMessage, type: ResourceType): Promise<ApiError> {
  const status = res.statusCode ?? 0;
  const text = await readBody(res);
  let reason = '';
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? '';
    message = parsed.message ?? message;
  } catch {
    // not a Status object: keep the raw text
  }
  return new ApiError(status, reason, `${type.kind}: ${status} ${message}`);
}

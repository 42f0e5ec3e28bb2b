// The one Kubernetes I/O layer of the three modes (controller, producer, consumer): a small REST
// client for the Kubernetes API over one keep-alive connection pool. The generated
// @kubernetes/client-node APIs convert objects into model classes (Dates, renamed fields), open a
// new connection per request and cost ~80 MiB of memory to import; we compare live objects with
// desired JSON and talk to the API server a lot, so we speak JSON directly.
//
// Every request has a deadline (requestTimeoutMs, default 15 s): a hung connection fails the
// request with a RequestTimeoutError instead of stalling the caller. A watch is bounded by the
// timeoutSeconds it asks the server for plus a margin. Failures are ApiError (an answer with an
// error status), RequestTimeoutError or a socket error; classifyError (kube-errors.ts) says which
// are worth retrying.
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { EnvReader } from './env.ts';
import type { Credentials } from './kube-credentials.ts';
import { ApiError, RequestTimeoutError, isNotFound } from './kube-errors.ts';
import { apiVersionOf, resourcePath, type KubeObject, type ResourceType } from './kube-resources.ts';

export { ApiError, RequestTimeoutError, isConflict, isGone, isNotFound } from './kube-errors.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'apply' | 'delete';

export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'apply', 'delete']);

/** The default deadline of one request (headers and body), as client-go users commonly set. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** How long past its timeoutSeconds a watch may stay open before we consider it hung. */
export const WATCH_MARGIN_MS = 30_000;

/** The environment variable that sets the request deadline of a process (ms), in all three modes. */
export const KUBE_REQUEST_TIMEOUT_ENV = 'KUBE_REQUEST_TIMEOUT_MS';

/** The request deadline from the environment: 1 s to 5 min, DEFAULT_REQUEST_TIMEOUT_MS when unset. */
export function readKubeRequestTimeout(r: EnvReader): number {
  return r.integer(KUBE_REQUEST_TIMEOUT_ENV, DEFAULT_REQUEST_TIMEOUT_MS, { min: 1_000, max: 300_000 });
}

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

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
}

export class KubeClient {
  private readonly credentials: Credentials;
  private readonly agent: http.Agent;
  private readonly options: KubeClientOptions;
  readonly requestTimeoutMs: number;

  constructor(credentials: Credentials, options: KubeClientOptions = {}) {
    this.credentials = credentials;
    this.options = options;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
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
    const deadlineMs = options.timeoutSeconds * 1000 + (this.options.watchMarginMs ?? WATCH_MARGIN_MS);
    const deadline = AbortSignal.timeout(deadlineMs);
    const signal = AbortSignal.any([options.signal, deadline]);
    let res: http.IncomingMessage;
    try {
      res = await this.send(
        {
          method: 'GET',
          path: resourcePath(type, { namespace: options.namespace }),
          query: {
            watch: true,
            allowWatchBookmarks: true,
            resourceVersion: options.resourceVersion,
            labelSelector: options.labelSelector,
            timeoutSeconds: options.timeoutSeconds,
          },
        },
        signal,
      );
    } catch (err) {
      // Stopped by the caller before the server answered: as quiet as a stop mid-stream.
      if (options.signal.aborted) return;
      throw deadline.aborted ? new RequestTimeoutError(`watch ${type.kind}`, deadlineMs) : err;
    }
    if (res.statusCode !== 200) throw await errorOf(res, type);
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.trim() !== '') onEvent(JSON.parse(line) as WatchEvent);
      }
    } catch (err) {
      if (options.signal.aborted) return;
      throw deadline.aborted ? new RequestTimeoutError(`watch ${type.kind}`, deadlineMs) : err;
    } finally {
      res.destroy();
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request with its deadline covering the answer's headers and body. */
  private async json<T>(
    verb: Verb,
    type: ResourceType,
    spec: RequestSpec,
    options: RequestOptions = {},
  ): Promise<T> {
    this.options.onRequest?.(verb, type);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
    try {
      const res = await this.send(spec, signal);
      if (res.statusCode === undefined || res.statusCode >= 300) throw await errorOf(res, type);
      return JSON.parse(await readBody(res)) as T;
    } catch (err) {
      if (deadline.aborted && !(err instanceof ApiError)) {
        throw new RequestTimeoutError(`${verb} ${type.kind}`, timeoutMs);
      }
      throw err;
    }
  }

  private async send(spec: RequestSpec, signal: AbortSignal): Promise<http.IncomingMessage> {
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
        signal,
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
  const retryAfter = Number(res.headers['retry-after']);
  return new ApiError(
    status,
    reason,
    `${type.kind}: ${status} ${message}`,
    message,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

// Requests to the API server over one keep-alive connection pool, each with a deadline: a hung
// connection fails the request with a RequestTimeoutError instead of stalling the caller. An
// answer with an error status becomes an ApiError that keeps the server's Status reason and
// message; a socket failure is passed on as it is (errors.ts classes all three).
import http from 'node:http';
import https from 'node:https';
import type { EnvReader } from './env.ts';
import type { Credentials } from './kube-credentials.ts';
import { ApiError, RequestTimeoutError } from './kube-errors.ts';

/** The default deadline of one request (headers and body), as client-go users commonly set. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** The environment variable that sets the request deadline of a process (ms), in all three modes. */
export const KUBE_REQUEST_TIMEOUT_ENV = 'KUBE_REQUEST_TIMEOUT_MS';

/** The request deadline from the environment: 1 s to 5 min, DEFAULT_REQUEST_TIMEOUT_MS when unset. */
export function readKubeRequestTimeout(r: EnvReader): number {
  return r.integer(KUBE_REQUEST_TIMEOUT_ENV, DEFAULT_REQUEST_TIMEOUT_MS, { min: 1_000, max: 300_000 });
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
}

/** What a failed request is called in its error, e.g. "get Lease", and the kind it was about. */
export interface RequestName {
  what: string;
  kind: string;
}

export class ApiConnection {
  private readonly credentials: Credentials;
  private readonly agent: http.Agent;
  private readonly userAgent: string;

  constructor(credentials: Credentials, options: { userAgent?: string; maxSockets?: number } = {}) {
    this.credentials = credentials;
    this.userAgent = options.userAgent ?? 'ratings-operator';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 32 };
    this.agent =
      credentials.server.protocol === 'https:'
        ? new https.Agent({ ...agentOptions, ...credentials.tls })
        : new http.Agent(agentOptions);
  }

  /** One request answered with JSON, its deadline covering the answer's headers and body. */
  async json<T>(spec: RequestSpec, name: RequestName, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.send(
        spec,
        signal === undefined ? deadline : AbortSignal.any([signal, deadline]),
      );
      if (res.statusCode === undefined || res.statusCode >= 300) throw await apiErrorOf(res, name.kind);
      return JSON.parse(await readBody(res)) as T;
    } catch (err) {
      if (deadline.aborted && !(err instanceof ApiError)) throw new RequestTimeoutError(name.what, timeoutMs);
      throw err;
    }
  }

  /** The answer once its headers are in; the caller reads its body, and bounds it with `signal`. */
  send(spec: RequestSpec, signal: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(spec.path, this.credentials.server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
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
      const req = request(url, { method: spec.method, headers, agent: this.agent, signal });
      req.once('response', resolve);
      req.once('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The ApiError of an answer with an error status, from its Status object when it has one. */
export async function apiErrorOf(res: http.IncomingMessage, kind: string): Promise<ApiError> {
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
    `${kind}: ${status} ${message}`,
    message,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

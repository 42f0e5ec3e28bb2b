// A watch: one long GET whose answer is a stream of events, one JSON object a line. It is
// bounded by the timeoutSeconds it asks the server for plus a margin, so that a watch the server
// forgot fails with a RequestTimeoutError instead of waiting forever.
import { createInterface } from 'node:readline';
import { apiErrorOf, type ApiConnection } from './kube-request.ts';
import { RequestTimeoutError } from './kube-errors.ts';
import { resourcePath, type KubeObject, type ResourceType } from './kube-resources.ts';

/** How long past its timeoutSeconds a watch may stay open before we consider it hung. */
export const WATCH_MARGIN_MS = 30_000;

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  resourceVersion: string;
  timeoutSeconds: number;
  signal: AbortSignal;
}

/**
 * Streams watch events to `onEvent` until the server ends the watch (resolves), the caller aborts
 * `options.signal` (resolves) or the request fails (rejects with an ApiError, e.g. 410 when
 * `resourceVersion` is too old, or a RequestTimeoutError past the margin).
 */
export async function watchEvents(
  connection: ApiConnection,
  type: ResourceType,
  options: WatchOptions,
  marginMs: number,
  onEvent: (event: WatchEvent) => void,
): Promise<void> {
  const deadlineMs = options.timeoutSeconds * 1000 + marginMs;
  const deadline = AbortSignal.timeout(deadlineMs);
  const signal = AbortSignal.any([options.signal, deadline]);
  let res;
  try {
    res = await connection.send(
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
  if (res.statusCode !== 200) throw await apiErrorOf(res, type.kind);
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

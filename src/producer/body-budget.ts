// A bound on the bytes of bulk bodies held in memory: those being read and those whose ratings
// wait for Kafka's acknowledgement. The ratings' own bound (shedding.ts) counts ratings, and a
// body is read whole before its ratings are counted, so without this some forty concurrent 8 MiB
// bodies would be in memory before anything was refused. Past the bound a request is answered
// with 503 and Retry-After before its body is read (or, for a body without Content-Length, as
// soon as what has arrived passes the bound).
import type { ServerResponse } from 'node:http';

export interface BodyBudgetOptions {
  /** Bytes of bodies held at most (INTAKE_BULK_MAX_PENDING_BYTES). */
  maxBytes: number;
  /** What a shed request is told to wait before retrying. */
  retryAfterSeconds: number;
  /** Called for every request shed for the bound (a metric). */
  onShed?: () => void;
}

/**
 * Of the V8 heap the process was given (sized from the pod's memory limit, src/model/heap.ts),
 * the share bulk bodies may hold by default. A body is held as bytes outside the heap while it is
 * read, then decoded and parsed on it: a quarter leaves room for both, and for everything else.
 */
const HEAP_SHARE_OF_BODIES = 1 / 4;

/** The default bound: a share of the heap, but never less than one body of the largest size. */
export function defaultBodyBudgetBytes(heapLimitBytes: number, bodyMaxBytes: number): number {
  return Math.max(bodyMaxBytes, Math.floor(heapLimitBytes * HEAP_SHARE_OF_BODIES));
}

export class BodyBudget {
  private heldBytes = 0;
  private readonly options: BodyBudgetOptions;

  constructor(options: BodyBudgetOptions) {
    this.options = options;
  }

  get held(): number {
    return this.heldBytes;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** At the bound: not one more byte fits. */
  get full(): boolean {
    return this.heldBytes >= this.options.maxBytes;
  }

  /**
   * Holds `bytes` more for a body that already holds `own`, if they fit under the bound; false
   * (and counted as shed) otherwise. A body that holds all there is held may grow past the bound,
   * so that a body larger than the bound waits for an idle moment instead of being refused for ever.
   */
  tryHold(bytes: number, own: number): boolean {
    const fits = this.heldBytes + bytes <= this.options.maxBytes || this.heldBytes === own;
    if (!fits) {
      this.shed();
      return false;
    }
    this.heldBytes += bytes;
    return true;
  }

  /** Gives back what `tryHold` took. */
  release(bytes: number): void {
    this.heldBytes = Math.max(0, this.heldBytes - bytes);
  }

  /** Counts a request refused for the bound. */
  shed(): void {
    this.options.onShed?.();
  }

  /** The answer to a shed request (plain node:http, so that it also serves before routing). */
  refuse(res: ServerResponse): void {
    const { maxBytes, retryAfterSeconds } = this.options;
    const body = JSON.stringify({
      error: `overloaded: bulk bodies of ${(maxBytes / 2 ** 20).toFixed(1)} MiB are being read or waiting for Kafka; retry after ${retryAfterSeconds}s`,
    });
    res
      .writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'retry-after': String(retryAfterSeconds),
      })
      .end(body);
  }
}

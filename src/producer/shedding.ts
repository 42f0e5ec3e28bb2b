// Load shedding for the HTTP intake: a bound on the ratings taken in but not yet acknowledged by
// Kafka. Past the bound a request is answered at once with 503 and Retry-After instead of
// queueing behind the others: the queue, and with it the latency of the ratings accepted and the
// memory they hold, stays bounded whatever the number of clients.
//
// Once an endpoint is at its bound, its requests are refused before anything else is done with
// them (shedEarly): no routing, body parsing, validation or authentication. Under a flood every
// request costs the event loop time, and the accepted ones wait for all the others; the cheaper a
// refusal, the sooner the loop comes back to the accepted ratings' acknowledgements.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A bound that refuses requests while it is full (LoadShedder, BodyBudget). */
export interface Shedding {
  readonly full: boolean;
  /** Counts a request refused for the bound. */
  shed(): void;
  /** Answers a refused request. */
  refuse(res: ServerResponse): void;
}

export interface ShedderOptions {
  /** Ratings admitted and not yet settled (acknowledged or failed), at most. */
  maxPending: number;
  /** What a shed request is told to wait before retrying. */
  retryAfterSeconds: number;
  /** Called for every shed request (a metric). */
  onShed?: () => void;
}

export class LoadShedder implements Shedding {
  private pendingRatings = 0;
  private readonly options: ShedderOptions;

  constructor(options: ShedderOptions) {
    this.options = options;
  }

  get pending(): number {
    return this.pendingRatings;
  }

  get maxPending(): number {
    return this.options.maxPending;
  }

  /** At the bound: not even one more rating fits. */
  get full(): boolean {
    return this.pendingRatings >= this.options.maxPending;
  }

  /**
   * Takes in `ratings` if they fit under the bound; false (and counted as shed) otherwise. A
   * submission larger than the bound on its own is taken in only when nothing else is pending,
   * so that it waits for an idle moment instead of being refused for ever.
   */
  tryAdmit(ratings: number): boolean {
    const fits = this.pendingRatings + ratings <= this.options.maxPending || this.pendingRatings === 0;
    if (!fits) {
      this.shed();
      return false;
    }
    this.pendingRatings += ratings;
    return true;
  }

  /** Counts a request refused for the bound. */
  shed(): void {
    this.options.onShed?.();
  }

  /** Gives back what `tryAdmit` took, once those ratings are acknowledged or failed. */
  release(ratings: number): void {
    this.pendingRatings = Math.max(0, this.pendingRatings - ratings);
  }

  /** Releases `ratings` when `settled` settles, whichever way. */
  holdUntil(ratings: number, settled: Promise<unknown>): void {
    settled.then(
      () => this.release(ratings),
      () => this.release(ratings),
    );
  }

  /** The answer to a shed request (plain node:http, so that it also serves before routing). */
  refuse(res: ServerResponse): void {
    const { maxPending, retryAfterSeconds } = this.options;
    const body = JSON.stringify({
      error: `overloaded: ${maxPending} ratings are waiting for Kafka; retry after ${retryAfterSeconds}s`,
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

/**
 * A request gate (HttpServerOptions.gate) that sheds POSTs to each path while one of its bounds is
 * full, before they are routed or read; the handlers' own tryAdmit and tryHold stay the bounds.
 * Paths are matched as the router matches them: case-insensitively, without the query, with or
 * without a trailing slash.
 */
export function shedEarly(
  endpoints: Readonly<Record<string, Shedding | readonly Shedding[]>>,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map(
    Object.entries(endpoints).map(([path, bounds]) => [path.toLowerCase(), [bounds].flat()]),
  );
  return (req, res) => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const query = req.url.indexOf('?');
    let path = (query === -1 ? req.url : req.url.slice(0, query)).toLowerCase();
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const shedder = byPath.get(path)?.find((bound) => bound.full);
    if (shedder === undefined) return false;
    shedder.shed();
    shedder.refuse(res);
    return true;
  };
}

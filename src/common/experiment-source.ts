// The data-plane pods' view of their RatingExperiment. Their Role allows `get` on that one
// object and nothing else (no list, no watch), so spec changes are followed by polling.
import { GROUP, PLURAL, type RatingExperiment } from '../api/v1alpha1.ts';
import { catalogFromSpec, type Catalog } from '../ratings/catalog.ts';
import { codedError } from './errors.ts';
import type { KubeClient } from './kube-client.ts';
import { ApiError, RequestTimeoutError } from './kube-errors.ts';
import { resources } from './kube-resources.ts';
import type { Logger } from './logger.ts';

export interface ExperimentSourceOptions {
  kube: KubeClient;
  /** The API server's address, for messages. */
  server: string;
  namespace: string;
  name: string;
  logger: Logger;
  /** Time between two GETs. */
  pollIntervalMs?: number;
  /** A GET that takes longer is abandoned (the client's deadline when unset). */
  requestTimeoutMs?: number;
}

/** The experiment as last read, with the catalog of its spec. */
export interface ExperimentSnapshot {
  readonly experiment: RatingExperiment;
  readonly catalog: Catalog;
  /** When this copy was read (ms since the epoch): the catalog was current then. */
  readonly readAt: number;
}

export type ChangeListener = (current: ExperimentSnapshot, previous: ExperimentSnapshot) => void;

/** The experiment cannot be used at start; the message says what to fix. */
export class ExperimentSourceError extends codedError('RATINGS_EXPERIMENT_UNUSABLE', {
  errorClass: 'terminal',
  userFacing: true,
}) {}

export const DEFAULT_POLL_INTERVAL_MS = 10_000;

/**
 * Reads the experiment once at start (failing with a clear message when it cannot), then polls
 * it and tells listeners when its spec changed (metadata.generation moved). A spec whose
 * catalog is unusable is logged and ignored: the last good snapshot stays current.
 */
export class ExperimentSource {
  private readonly kube: KubeClient;
  private readonly options: Required<Omit<ExperimentSourceOptions, 'kube'>>;
  private readonly server: string;
  private readonly listeners = new Set<ChangeListener>();
  private snapshot: ExperimentSnapshot;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last poll failure, so that a lasting outage is logged once rather than every poll. */
  private failing: string | undefined;

  private constructor(options: ExperimentSourceOptions, first: ExperimentSnapshot) {
    this.kube = options.kube;
    this.server = options.server;
    this.options = {
      server: options.server,
      namespace: options.namespace,
      name: options.name,
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? options.kube.requestTimeoutMs,
    };
    this.snapshot = first;
  }

  /** Reads the experiment and starts polling; rejects with an ExperimentSourceError. */
  static async start(options: ExperimentSourceOptions): Promise<ExperimentSource> {
    const { server } = options;
    const timeoutMs = options.requestTimeoutMs ?? options.kube.requestTimeoutMs;
    let experiment: RatingExperiment;
    const readAt = Date.now();
    try {
      experiment = await read(options.kube, options.namespace, options.name, timeoutMs);
    } catch (err) {
      throw new ExperimentSourceError(describeReadError(err, options.namespace, options.name, server), {
        cause: err,
      });
    }
    let catalog: Catalog;
    try {
      catalog = catalogFromSpec(experiment.spec, experiment.metadata?.generation);
    } catch (err) {
      throw new ExperimentSourceError(
        `RatingExperiment ${options.namespace}/${options.name} has an unusable catalog: ${(err as Error).message}`,
      );
    }
    const source = new ExperimentSource(options, { experiment, catalog, readAt });
    source.schedule();
    return source;
  }

  get current(): ExperimentSnapshot {
    return this.snapshot;
  }

  /** Calls `listener` after each spec change; returns a function that unsubscribes it. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * One poll; exposed so that callers (and tests) can refresh without waiting for the timer.
   * Resolves true when the experiment was read (the snapshot is then at least as new as the
   * moment this was called), false when the read failed.
   */
  async refresh(): Promise<boolean> {
    const { namespace, name, logger } = this.options;
    let experiment: RatingExperiment;
    // Taken before the request: the answer reflects the experiment at least as of now.
    const readAt = Date.now();
    try {
      experiment = await read(this.kube, namespace, name, this.options.requestTimeoutMs);
    } catch (err) {
      const message = describeReadError(err, namespace, name, this.server);
      if (message !== this.failing)
        logger.warn({ err: message }, 'cannot read the experiment, keeping the last spec');
      this.failing = message;
      return false;
    }
    if (this.failing !== undefined) logger.info('reading the experiment again');
    this.failing = undefined;

    const previous = this.snapshot;
    if (experiment.metadata?.generation === previous.experiment.metadata?.generation) {
      this.snapshot = { experiment, catalog: previous.catalog, readAt };
      return true;
    }
    let catalog: Catalog;
    try {
      catalog = catalogFromSpec(experiment.spec, experiment.metadata?.generation);
    } catch (err) {
      logger.error(
        { err: (err as Error).message, generation: experiment.metadata?.generation },
        'ignoring a spec with an unusable catalog',
      );
      return true;
    }
    this.snapshot = { experiment, catalog, readAt };
    logger.info({ generation: experiment.metadata?.generation }, 'experiment spec changed');
    for (const listener of this.listeners) {
      try {
        listener(this.snapshot, previous);
      } catch (err) {
        logger.error({ err }, 'experiment change listener failed');
      }
    }
    return true;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    // Polling alone must not keep the process alive once everything else has stopped.
    this.timer.unref();
  }
}

class ExperimentNotFound extends codedError('RATINGS_EXPERIMENT_NOT_FOUND', { errorClass: 'terminal' }) {}

async function read(kube: KubeClient, namespace: string, name: string, timeoutMs: number) {
  const experiment = await kube.get<RatingExperiment>(resources.ratingExperiment, namespace, name, {
    timeoutMs,
  });
  if (experiment === undefined)
    throw new ExperimentNotFound(`RatingExperiment ${namespace}/${name} not found`);
  return experiment;
}

/** A message that says what to fix, for the failures a misconfigured pod actually meets. */
export function describeReadError(err: unknown, namespace: string, name: string, server: string): string {
  const ref = `RatingExperiment ${namespace}/${name}`;
  if (err instanceof ExperimentNotFound) {
    return `${ref} not found on ${server} (is EXPERIMENT_NAMESPACE/EXPERIMENT_NAME right, and the CRD installed?)`;
  }
  if (err instanceof ApiError) {
    const detail = err.serverMessage.slice(0, 200);
    switch (err.status) {
      case 401:
        return `${server} rejected the credentials reading ${ref} (expired or wrong token)`;
      case 403:
        return `not allowed to get ${ref}: the pod's service account needs "get" on ${PLURAL}.${GROUP}${detail ? ` (${detail})` : ''}`;
      default:
        return `reading ${ref} failed with HTTP ${err.status}${detail ? `: ${detail}` : ''}`;
    }
  }
  if (err instanceof RequestTimeoutError) return `reading ${ref} from ${server} timed out`;
  return `cannot reach ${server} to read ${ref}: ${err instanceof Error ? err.message : String(err)}`;
}

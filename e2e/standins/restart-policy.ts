// Whether and when an exited container starts again. Pure.

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  const effective = (policy ?? 'Always') as RestartPolicy;
  return effective === 'Always' || (effective === 'OnFailure' && exitCode !== 0);
}

/**
 * Delay before restart number `restarts` (1-based): the kubelet's doubling back-off, scaled
 * down (1 s, 2 s, 4 s … up to 30 s instead of 10 s … 5 min) so local tests stay quick.
 */
export function restartDelayMs(restarts: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, restarts - 1));
}

/** A container that ran this long before exiting starts its back-off afresh. */
export const BACKOFF_RESET_MS = 60_000;

// Where the Flux part of the local stack keeps things and which ports it uses. Programs and CRDs
// live in the install cache beside the stack's own (<cache>/flux); run-time state (the bare git
// repository, source-controller's artifacts) under <repo>/.local/flux.
import { join } from 'node:path';
import { cacheDir, localDir, port } from '../stack/paths.ts';

export const fluxCacheDir = (): string => join(cacheDir(), 'flux');
export const fluxBinDir = (): string => join(fluxCacheDir(), 'bin');
export const fluxCrdDir = (): string => join(fluxCacheDir(), 'crds');
export const fluxPath = (): string => join(fluxBinDir(), 'flux');

export const fluxLocalDir: string = join(localDir, 'flux');
export const fluxPaths = {
  /** Bare repositories the git server serves (GIT_PROJECT_ROOT). */
  gitRoot: join(fluxLocalDir, 'git'),
  /** source-controller's artifact storage. */
  storage: join(fluxLocalDir, 'storage'),
} as const;

/** The namespace the controllers run for (RUNTIME_NAMESPACE) and keep their sources in. */
export const FLUX_NAMESPACE = 'flux-system';

export type FluxPorts = {
  gitServer: number;
  sourceStorage: number;
  sourceMetrics: number;
  sourceHealth: number;
  kustomizeMetrics: number;
  kustomizeHealth: number;
  helmMetrics: number;
  helmHealth: number;
};

/**
 * Ports of the Flux controllers and the git server (defaults below 32768, away from the
 * stack's own), each overridable by the STACK_*_PORT variable named beside it.
 */
export function fluxPorts(): FluxPorts {
  return {
    gitServer: port('STACK_GIT_SERVER_PORT', 21180),
    sourceStorage: port('STACK_FLUX_SOURCE_STORAGE_PORT', 21181),
    sourceMetrics: port('STACK_FLUX_SOURCE_METRICS_PORT', 21182),
    sourceHealth: port('STACK_FLUX_SOURCE_HEALTH_PORT', 21183),
    kustomizeMetrics: port('STACK_FLUX_KUSTOMIZE_METRICS_PORT', 21184),
    kustomizeHealth: port('STACK_FLUX_KUSTOMIZE_HEALTH_PORT', 21185),
    helmMetrics: port('STACK_FLUX_HELM_METRICS_PORT', 21186),
    helmHealth: port('STACK_FLUX_HELM_HEALTH_PORT', 21187),
  };
}

// Runs the chart through the real helm binary: lint and template, the rendered objects parsed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { kubernetesModuleDir } from '../stack/install.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  release: string;
  namespace: string;
  /** The cluster version the chart's kubeVersion constraint is checked against, e.g. "v1.36.3". */
  kubeVersion: string;
  /** `--set` values (helm types them: numbers, booleans), as key path → value. */
  values?: Record<string, string>;
  /** Values files (`--values`), applied before `values`. */
  valuesFiles?: string[];
  includeCrds?: boolean;
}

function run(helm: string, args: string[]): string {
  try {
    return execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${[stdout, stderr].filter(Boolean).join('\n').trim()}`);
  }
}

function setArgs(values: Record<string, string> = {}): string[] {
  return Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** `helm lint --strict`: its report, or an error carrying it. */
export function helmLint(helm: string, chartDir: string, values?: Record<string, string>): string {
  return run(helm, ['lint', '--strict', chartDir, ...setArgs(values)]);
}

/** The objects `helm template` renders, in helm's order. */
export function helmTemplate(helm: string, chartDir: string, options: RenderOptions): KubeObject[] {
  const args = ['template', options.release, chartDir, '--namespace', options.namespace];
  args.push('--kube-version', options.kubeVersion);
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  args.push(...setArgs(options.values));
  if (options.includeCrds === true) args.push('--include-crds');
  return parseManifests(run(helm, args));
}

/** The objects of a multi-document YAML stream; empty documents are skipped. */
export function parseManifests(text: string): KubeObject[] {
  return loadAll(text).filter((doc): doc is KubeObject => doc != null);
}

/**
 * The Kubernetes release the local stack builds its API server from (e2e/stack/modules/kubernetes/go.mod).
 * Built without version stamping, that server reports v0.0.0 itself, which no kubeVersion
 * constraint accepts.
 */
export function stackKubernetesVersion(): string {
  const goMod = readFileSync(join(kubernetesModuleDir, 'go.mod'), 'utf8');
  const pinned = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\s*$/m.exec(goMod);
  if (pinned === null)
    throw new Error('e2e/stack/modules/kubernetes/go.mod pins no k8s.io/kubernetes version');
  return pinned[1]!;
}

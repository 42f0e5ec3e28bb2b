// Helm and kustomize come from none of the package registries this project installs from, but
// both build from the Go module proxy. Each pinned version is built once into the stack's
// install cache, named with its version so that changing the pin rebuilds it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from '../stack/paths.ts';

export interface GoTool {
  name: string;
  /** The Go package of the command, installed with `go install <module>@<version>`. */
  module: string;
  version: string;
}

// Helm 4 (Helm 3 is out of support); the chart stays apiVersion v2, which Helm 4 reads unchanged.
export const HELM: GoTool = { name: 'helm', module: 'helm.sh/helm/v4/cmd/helm', version: 'v4.3.2' };
export const KUSTOMIZE: GoTool = {
  name: 'kustomize',
  module: 'sigs.k8s.io/kustomize/kustomize/v5',
  version: 'v5.8.2',
};

export function goToolPath(tool: GoTool, dir: string = binDir()): string {
  return join(dir, `${tool.name}-${tool.version}`);
}

/** The path of the tool's binary, building it first when the cache does not have it. */
export function ensureGoTool(tool: GoTool, dir: string = binDir()): string {
  const target = goToolPath(tool, dir);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  // Build into a scratch directory and move into place, so an interrupted build leaves no binary.
  const scratch = mkdtempSync(join(dir, `.${tool.name}-`));
  try {
    execFileSync('go', ['install', `${tool.module}@${tool.version}`], {
      env: { ...process.env, GOBIN: scratch, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(join(scratch, tool.name), target);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `could not build ${tool.name} ${tool.version} with \`go install ${tool.module}@${tool.version}\`` +
        (stderr ? `:\n${stderr}` : `: ${String(err)}`),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}

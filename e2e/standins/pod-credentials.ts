// A pod's service-account credentials, as the kubelet projects them: a token from the
// TokenRequest API bound to the pod (default audience), refreshed at 80% of its lifetime, and
// a kubeconfig pointing at it. The kubeconfig names the token *file* (the client's tokenFile
// auth provider re-reads it every minute), so a running process picks up refreshed tokens.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';

const TOKEN_SECONDS = 3600;
const MAX_REFRESH_MS = TOKEN_SECONDS * 1000;

export interface ClusterAccess {
  server: string;
  caData?: string;
  insecureSkipTlsVerify?: boolean;
}

export function clusterAccess(kubeConfig: KubeConfig): ClusterAccess {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig has no current cluster');
  const caData =
    cluster.caData ??
    (cluster.caFile !== undefined ? readFileSync(cluster.caFile).toString('base64') : undefined);
  return { server: cluster.server, caData, insecureSkipTlsVerify: cluster.skipTLSVerify };
}

/** A kubeconfig (JSON is valid YAML) whose user authenticates with the token in `tokenFile`. */
export function podKubeconfig(access: ClusterAccess, podKey: string, tokenFile: string): object {
  const cluster: Record<string, unknown> = { server: access.server };
  if (access.caData !== undefined) cluster['certificate-authority-data'] = access.caData;
  if (access.insecureSkipTlsVerify === true) cluster['insecure-skip-tls-verify'] = true;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local-stack', cluster }],
    users: [{ name: podKey, user: { 'auth-provider': { name: 'tokenFile', config: { tokenFile } } } }],
    contexts: [{ name: podKey, context: { cluster: 'local-stack', user: podKey } }],
    'current-context': podKey,
  };
}

export interface PodCredentialsOptions {
  api: CoreV1Api;
  access: ClusterAccess;
  pod: V1Pod;
  /** Where pods' credential directories go: <baseDir>/<namespace>_<pod>/. */
  baseDir: string;
  onRefreshError: (err: unknown) => void;
}

export class PodCredentials {
  readonly kubeconfigPath: string;
  private readonly tokenPath: string;
  private readonly dir: string;
  private readonly options: PodCredentialsOptions;
  private refreshTimer: NodeJS.Timeout | undefined;
  private revoked = false;

  constructor(options: PodCredentialsOptions) {
    const { namespace = '', name = '' } = options.pod.metadata ?? {};
    this.options = options;
    this.dir = join(options.baseDir, `${namespace}_${name}`);
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    this.tokenPath = join(this.dir, 'token');
  }

  /** Requests the first token and writes the files; then keeps the token fresh. */
  async issue(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { namespace, name } = this.options.pod.metadata ?? {};
    const kubeconfig = podKubeconfig(this.options.access, `${namespace}_${name}`, this.tokenPath);
    writeSecretFile(this.kubeconfigPath, JSON.stringify(kubeconfig, null, 2));
    const refreshInMs = await this.requestToken();
    this.scheduleRefresh(refreshInMs);
  }

  /** Stops refreshing and deletes the files. */
  revoke(): void {
    this.revoked = true;
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private scheduleRefresh(delayMs: number): void {
    if (this.revoked) return;
    this.refreshTimer = setTimeout(() => {
      this.requestToken().then(
        (next) => this.scheduleRefresh(next),
        (err: unknown) => {
          this.options.onRefreshError(err);
          this.scheduleRefresh(10_000);
        },
      );
    }, delayMs);
    this.refreshTimer.unref();
  }

  /** Writes a new token; returns when to refresh it (80% of its lifetime, as the kubelet does). */
  private async requestToken(): Promise<number> {
    const { api, pod } = this.options;
    const response = await api.createNamespacedServiceAccountToken({
      name: pod.spec?.serviceAccountName ?? 'default',
      namespace: pod.metadata?.namespace ?? '',
      body: {
        spec: {
          audiences: [], // empty: the API server's default audience
          expirationSeconds: TOKEN_SECONDS,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    });
    const token = response.status?.token;
    if (token === undefined || token === '') throw new Error('TokenRequest returned no token');
    if (this.revoked) return 0;
    writeSecretFile(this.tokenPath, token);
    const expiresAt = new Date(
      response.status?.expirationTimestamp ?? Date.now() + TOKEN_SECONDS * 1000,
    ).getTime();
    // Capped: an API server may extend bound tokens far beyond what timers can hold.
    return Math.min(MAX_REFRESH_MS, Math.max(10_000, (expiresAt - Date.now()) * 0.8));
  }
}

/** Written to a temporary name then renamed, so a reader never sees half a token. Mode 0600. */
function writeSecretFile(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

// Where the API server is and how to authenticate to it, for the shared KubeClient of all three
// modes: from $KUBECONFIG (or ~/.kube/config) or the pod's service account. We read credentials
// ourselves instead of through @kubernetes/client-node's KubeConfig: importing that package costs
// a large share of the controller's memory budget (its RSS target in bench/README.md,
// “bench:controller”). Token and client-certificate users are supported; exec plugins and auth
// providers are refused with a message saying so.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';

export interface Credentials {
  server: URL;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** The Authorization header, read per request so that rotated tokens are picked up. */
  authorization(): string | undefined;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Read = (path: string) => Buffer;

/** The parts of a kubeconfig file the controller reads. */
export interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

/** Credentials from the environment: $KUBECONFIG, ~/.kube/config, else the in-cluster service account. */
export function loadCredentials(env: Record<string, string | undefined> = process.env): Credentials {
  const explicit = env.KUBECONFIG?.split(':').find((p) => p !== '');
  if (explicit !== undefined && !existsSync(explicit)) {
    throw new Error(`KUBECONFIG points to ${explicit}, which does not exist`);
  }
  const path = explicit ?? join(homedir(), '.kube', 'config');
  if (existsSync(path)) {
    return credentialsFromKubeconfig(
      load(readFileSync(path, 'utf8')) as Kubeconfig,
      dirname(path),
      readFileSync,
    );
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const tokenPath = join(SERVICE_ACCOUNT_DIR, 'token');
  if (host !== undefined && existsSync(tokenPath)) {
    const server = new URL(
      `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`,
    );
    return {
      server,
      tls: { ca: readFileSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt')) },
      authorization: bearerFromFile(tokenPath, readFileSync),
    };
  }
  throw new Error(
    `no Kubernetes credentials: set KUBECONFIG or run in a pod with a service account token (${tokenPath})`,
  );
}

/** The credentials of a kubeconfig's current context; relative file paths are relative to `dir`. */
export function credentialsFromKubeconfig(config: Kubeconfig, dir: string, read: Read): Credentials {
  const contextName = config['current-context'];
  if (!contextName) throw new Error('the kubeconfig has no current-context');
  const context = config.contexts?.find((c) => c.name === contextName)?.context;
  if (context === undefined) throw new Error(`the kubeconfig has no context "${contextName}"`);
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (cluster === undefined || typeof cluster.server !== 'string') {
    throw new Error(`the kubeconfig has no cluster "${context.cluster}" with a server`);
  }
  const user = config.users?.find((u) => u.name === context.user)?.user ?? {};
  // @kubernetes/client-node writes a refreshing token file as an auth provider named tokenFile.
  const authProvider = user['auth-provider'] as
    { name?: string; config?: { tokenFile?: unknown } } | undefined;
  const tokenFile =
    user.tokenFile ?? (authProvider?.name === 'tokenFile' ? authProvider.config?.tokenFile : undefined);
  if (user.exec !== undefined || (authProvider !== undefined && authProvider.name !== 'tokenFile')) {
    throw new Error(
      `kubeconfig user "${context.user}" uses an exec plugin or auth provider, which ratings-operator does not support: use a token, a token file or a client certificate`,
    );
  }
  const file = (dataKey: string, pathKey: string, from: Record<string, unknown>): Buffer | undefined => {
    const data = from[dataKey];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const path = from[pathKey];
    return typeof path === 'string' ? read(isAbsolute(path) ? path : join(dir, path)) : undefined;
  };

  const tls: Credentials['tls'] = {
    ca: file('certificate-authority-data', 'certificate-authority', cluster),
    cert: file('client-certificate-data', 'client-certificate', user),
    key: file('client-key-data', 'client-key', user),
  };
  if (cluster['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];

  let authorization: () => string | undefined = () => undefined;
  if (typeof user.token === 'string') {
    const header = `Bearer ${user.token}`;
    authorization = () => header;
  } else if (typeof tokenFile === 'string') {
    authorization = bearerFromFile(isAbsolute(tokenFile) ? tokenFile : join(dir, tokenFile), read);
  } else if (typeof user.username === 'string') {
    const header = `Basic ${Buffer.from(`${user.username}:${String(user.password ?? '')}`).toString('base64')}`;
    authorization = () => header;
  }
  return { server: new URL(cluster.server), tls, authorization };
}

/** A bearer token read from a file, re-read when the file changes (projected tokens rotate). */
function bearerFromFile(path: string, read: Read): () => string {
  let header = '';
  let seen = -1;
  return () => {
    const mtime = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtime !== seen) {
      header = `Bearer ${read(path).toString('utf8').trim()}`;
      seen = mtime;
    }
    return header;
  };
}

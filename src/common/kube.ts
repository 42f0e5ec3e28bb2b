import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Credentials from $KUBECONFIG (or ~/.kube/config) when present, else the pod's service
 * account. Fails with a message naming both sources instead of a late connection error.
 */
export function loadKubeConfig(env: Record<string, string | undefined> = process.env): KubeConfig {
  const kc = new KubeConfig();
  const kubeconfigPath = env.KUBECONFIG === '' ? undefined : env.KUBECONFIG;
  if (kubeconfigPath === undefined) kc.loadFromDefault();
  else if (existsSync(kubeconfigPath)) kc.loadFromFile(kubeconfigPath);
  else throw new Error(`KUBECONFIG points to ${kubeconfigPath}, which does not exist`);
  if (kc.getCurrentCluster() === null) {
    throw new Error(
      `no Kubernetes credentials: set KUBECONFIG or run in a pod with a service account token (${IN_CLUSTER_TOKEN})`,
    );
  }
  return kc;
}

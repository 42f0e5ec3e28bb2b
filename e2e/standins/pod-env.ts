// The environment of a container as the kubelet would build it: literal values, fieldRefs,
// ConfigMap and Secret keys (env and envFrom), then $(VAR) references expanded. Pure: the
// ConfigMaps and Secrets are fetched by the caller, named by referencedSources().
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/** ConfigMap or Secret data by name; undefined when the object does not exist. */
export interface EnvSources {
  configMaps: ReadonlyMap<string, Record<string, string> | undefined>;
  /** Secret values already base64-decoded. */
  secrets: ReadonlyMap<string, Record<string, string> | undefined>;
}

export type EnvResult = { ok: true; env: Record<string, string> } | { ok: false; error: string };

export function referencedSources(container: V1Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (ref?.configMapKeyRef?.name) configMaps.add(ref.configMapKeyRef.name);
    if (ref?.secretKeyRef?.name) secrets.add(ref.secretKeyRef.name);
  }
  return { configMaps, secrets };
}

export function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  sources: EnvSources,
  podIP: string,
): EnvResult {
  const env: Record<string, string> = {};
  const namespace = pod.metadata?.namespace ?? '';
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (ref?.name === undefined) continue;
    const kind = from.configMapRef !== undefined ? 'ConfigMap' : 'Secret';
    const data = (kind === 'ConfigMap' ? sources.configMaps : sources.secrets).get(ref.name);
    if (data === undefined) {
      if (ref.optional === true) continue;
      return { ok: false, error: `${kind} ${namespace}/${ref.name} not found (envFrom)` };
    }
    for (const [key, value] of Object.entries(data)) env[`${from.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom === undefined) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    const { fieldRef, configMapKeyRef, secretKeyRef } = variable.valueFrom;
    if (fieldRef !== undefined) {
      const value = fieldValue(pod, fieldRef.fieldPath, podIP);
      if (value === undefined) {
        return {
          ok: false,
          error: `env ${variable.name}: fieldRef ${fieldRef.fieldPath} is not supported by the stand-in`,
        };
      }
      env[variable.name] = value;
      continue;
    }
    const keyRef = configMapKeyRef ?? secretKeyRef;
    if (keyRef === undefined) {
      return {
        ok: false,
        error: `env ${variable.name}: only fieldRef, configMapKeyRef and secretKeyRef are supported`,
      };
    }
    const kind = configMapKeyRef !== undefined ? 'ConfigMap' : 'Secret';
    const data = (kind === 'ConfigMap' ? sources.configMaps : sources.secrets).get(keyRef.name ?? '');
    const value = data?.[keyRef.key];
    if (value === undefined) {
      if (keyRef.optional === true) continue;
      return {
        ok: false,
        error:
          data === undefined
            ? `env ${variable.name}: ${kind} ${namespace}/${keyRef.name} not found`
            : `env ${variable.name}: key "${keyRef.key}" not found in ${kind} ${namespace}/${keyRef.name}`,
      };
    }
    env[variable.name] = value;
  }
  return { ok: true, env };
}

function fieldValue(pod: V1Pod, fieldPath: string, podIP: string): string | undefined {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation !== null) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': podIP,
    'status.hostIP': podIP,
  };
  return values[fieldPath];
}

/** Kubernetes' $(VAR) syntax: references to variables defined earlier; $$ escapes; unknown ones stay. */
export function expand(value: string, defined: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return defined[name] ?? match;
  });
}

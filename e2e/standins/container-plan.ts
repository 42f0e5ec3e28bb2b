// What the process kubelet runs for a container, and whether it can run the pod at all. Pure.
//
// Every container of a pod must use "our" image (the repository's last path segment is
// ratings-operator); it runs as `<repo>/node_modules/.bin/node <repo>/dist/cli.js <args>`:
// the image's entrypoint is the CLI, so the container's `command` is ignored.
//
// Test hook: the annotation standin.ratings.conglombo.io/entrypoint names a script under
// <repo>/e2e/standins/fixtures/ to run instead of dist/cli.js; anything else is refused, so
// the annotation cannot make the stand-in run arbitrary files.
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export const ENTRYPOINT_ANNOTATION = 'standin.ratings.conglombo.io/entrypoint';
/** The stand-in records here, as JSON {container: {containerPort: localPort}}, where each port went. */
export const PORTS_ANNOTATION = 'standin.ratings.conglombo.io/ports';
/** The port a container serves on when it declares none (the image's convention). */
export const DEFAULT_CONTAINER_PORT = 8080;

/** True when the image's repository (without registry, tag or digest) ends in `name`. */
export function isOurImage(image: string | undefined, name: string): boolean {
  if (image === undefined) return false;
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  return lastSegment.split(':')[0] === name;
}

/** Why the stand-in cannot run this pod, or undefined when it can. */
export function unsupportedReason(pod: V1Pod, ourImageName: string): string | undefined {
  const spec = pod.spec;
  if (spec === undefined || spec.containers.length === 0) return 'the pod has no containers';
  if ((spec.initContainers ?? []).length > 0)
    return 'init containers are not supported by the process-kubelet stand-in';
  const foreign = spec.containers.filter((c) => !isOurImage(c.image, ourImageName));
  if (foreign.length > 0) {
    const list = foreign.map((c) => `${c.name} (${c.image ?? 'no image'})`).join(', ');
    return `the process-kubelet stand-in only runs ${ourImageName} images; not: ${list}`;
  }
  return undefined;
}

export interface Command {
  file: string;
  args: string[];
}

export function containerCommand(pod: V1Pod, container: V1Container, repoRoot: string): Command | string {
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  const override = pod.metadata?.annotations?.[ENTRYPOINT_ANNOTATION];
  let script = join(repoRoot, 'dist', 'cli.js');
  if (override !== undefined) {
    const fixtures = join(repoRoot, 'e2e', 'standins', 'fixtures');
    const candidate = resolve(repoRoot, override);
    const inside = relative(fixtures, candidate);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      return `${ENTRYPOINT_ANNOTATION} must name a file under e2e/standins/fixtures/, got "${override}"`;
    }
    script = candidate;
  }
  return { file: node, args: [script, ...(container.args ?? [])] };
}

/** The one port the process serves on (remapped to $PORT): the first declared, else 8080. */
export function servedPort(container: V1Container): { number: number; name?: string } {
  const first = container.ports?.[0];
  return first === undefined
    ? { number: DEFAULT_CONTAINER_PORT }
    : { number: first.containerPort, name: first.name };
}

/** Maps a port as the pod spec names it (number or name) to the local port the process got. */
export function localPortResolver(
  container: V1Container,
  localPort: number,
): (port: number | string) => number | undefined {
  const served = servedPort(container);
  return (port) => {
    if (typeof port === 'number') return port === served.number ? localPort : undefined;
    if (/^\d+$/.test(port)) return Number(port) === served.number ? localPort : undefined;
    return port === served.name ? localPort : undefined;
  };
}

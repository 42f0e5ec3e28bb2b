// The host side of the stack's real node: the pod network (a bridge of the stack's own, iptables
// rules that keep pod traffic on the machine), the configuration of containerd, the CNI plugins,
// the kubelet, kube-proxy and CoreDNS, and a teardown that leaves the machine as it found it.
//
//   ensureNodeNetwork()   bridge + gateway address, containment chains, records changed sysctls
//   teardownNode()        shims, mounts, veths, bridge, chains (ours, the kubelet's, kube-proxy's,
//                         CNI's), cgroups, the kubelet's fixed paths, sysctls back as they were
//
// Everything the node writes lives under .local/node, except what the kubelet and containerd
// keep at fixed paths (listed in `fixedPaths`): those are removed by the teardown when the stack
// created them. Only one real node can run per machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeBinDir, nodeNetwork, paths } from './paths.ts';
import type { Ports } from './paths.ts';
import { pkiFiles, writeIfChanged } from './pki.ts';

export const nodeDirs = {
  containerdRoot: join(paths.node, 'containerd', 'root'),
  containerdState: join(paths.node, 'containerd', 'state'),
  containerdConfig: join(paths.node, 'containerd', 'config.toml'),
  cniConf: join(paths.node, 'cni', 'net.d'),
  cniIpam: join(paths.node, 'cni', 'ipam'),
  kubeletRoot: join(paths.node, 'kubelet', 'root'),
  kubeletCerts: join(paths.node, 'kubelet', 'pki'),
  kubeletConfig: join(paths.node, 'kubelet', 'config.yaml'),
  podLogs: join(paths.node, 'kubelet', 'pod-logs'),
  volumePlugins: join(paths.node, 'kubelet', 'volume-plugins'),
  resolvConf: join(paths.node, 'kubelet', 'resolv.conf'),
  kubeProxyConfig: join(paths.node, 'kube-proxy', 'config.yaml'),
  corefile: join(paths.node, 'coredns', 'Corefile'),
  hostRecord: join(paths.node, 'host-before.json'),
} as const;

export const containerdSocket = (): string => join(nodeDirs.containerdState, 'containerd.sock');

/** The pause image containerd pins for pod sandboxes (built locally by image.ts). */
export const PAUSE_IMAGE = 'localhost/ratings-stack/pause:1';

/** The kubelet's cgroup root (created in every v1 hierarchy, removed by the teardown). */
const CGROUP_ROOT = 'ratings-node';
const CGROUP_FS = '/sys/fs/cgroup';

/**
 * Paths the kubelet, containerd (its CNI result cache) and buildah (its blob-info cache, its
 * network configuration) use whatever they are told; removed if the stack made them.
 */
const fixedPaths = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/run/containerd',
  '/var/lib/cni',
  '/etc/cni',
  '/var/lib/containers',
];

/** Sysctls the bridge plugin, the kubelet or kube-proxy may change; restored by the teardown. */
const recordedSysctls = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
];

/** Our iptables chains: FORWARD containment and INPUT (stack addresses only from the bridge and lo). */
const FORWARD_CHAIN = 'RATINGS-NODE-FORWARD';
const INPUT_CHAIN = 'RATINGS-NODE-INPUT';
/** Chains the kubelet, kube-proxy and the CNI portmap plugin create, and ours. */
const nodeChain = /^(KUBE-|CNI-|RATINGS-NODE-)/;

type HostRecord = { sysctls: Record<string, string>; preexisting: string[] };

function run(command: string, args: string[]): { ok: boolean; out: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function must(command: string, args: string[]): string {
  const result = run(command, args);
  if (!result.ok) throw new Error(`${command} ${args.join(' ')} failed: ${result.out}`);
  return result.out;
}

function sysctlPath(key: string): string {
  return join('/proc/sys', ...key.split('.'));
}

function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readHostRecord(): HostRecord | undefined {
  if (!existsSync(nodeDirs.hostRecord)) return undefined;
  return JSON.parse(readFileSync(nodeDirs.hostRecord, 'utf8')) as HostRecord;
}

function bridgeExists(): boolean {
  return existsSync(`/sys/class/net/${nodeNetwork.bridge}`);
}

function hasRule(table: string, chain: string, rule: string[], binary = 'iptables'): boolean {
  return run(binary, ['-w', '-t', table, '-C', chain, ...rule]).ok;
}

function ensureChain(table: string, chain: string, rules: string[][], jumpFrom: string): void {
  if (!run('iptables', ['-w', '-t', table, '-n', '-L', chain]).ok)
    must('iptables', ['-w', '-t', table, '-N', chain]);
  must('iptables', ['-w', '-t', table, '-F', chain]);
  for (const rule of rules) must('iptables', ['-w', '-t', table, '-A', chain, ...rule]);
  jumpFirst(table, jumpFrom, chain);
}

/** Makes `-j chain` the first rule of `from`: ours decide before any rule kube-proxy or the kubelet adds. */
function jumpFirst(table: string, from: string, chain: string): void {
  const first = must('iptables', ['-w', '-t', table, '-S', from]).split('\n')[1];
  if (first === `-A ${from} -j ${chain}`) return;
  while (hasRule(table, from, ['-j', chain])) must('iptables', ['-w', '-t', table, '-D', from, '-j', chain]);
  must('iptables', ['-w', '-t', table, '-I', from, '1', '-j', chain]);
}

/** Puts the containment chains back in front (kube-proxy and the kubelet insert theirs at the top). */
export function keepContainmentFirst(): void {
  jumpFirst('filter', 'FORWARD', FORWARD_CHAIN);
  jumpFirst('filter', 'INPUT', INPUT_CHAIN);
}

/**
 * The bridge with the gateway address (before the API server, the broker and CoreDNS bind to
 * it), and the containment rules. Records sysctls and fixed paths on the first call after a
 * clean teardown, so that the teardown can put them back.
 */
export function ensureNodeNetwork(): void {
  if (process.getuid?.() !== 0) throw new Error('the local stack runs a real node, which needs root');
  mkdirSync(paths.node, { recursive: true });
  if (readHostRecord() === undefined) {
    const sysctls: Record<string, string> = {};
    for (const key of recordedSysctls) {
      const value = readSysctl(key);
      if (value !== undefined) sysctls[key] = value;
    }
    const record: HostRecord = { sysctls, preexisting: fixedPaths.filter((p) => existsSync(p)) };
    writeFileSync(nodeDirs.hostRecord, `${JSON.stringify(record, null, 2)}\n`);
  }
  const { bridge, gateway, podCidr } = nodeNetwork;
  if (!bridgeExists()) must('ip', ['link', 'add', bridge, 'type', 'bridge']);
  const prefix = podCidr.split('/')[1];
  if (!must('ip', ['-4', 'addr', 'show', 'dev', bridge]).includes(`${gateway}/${prefix}`))
    must('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', bridge]);
  must('ip', ['link', 'set', bridge, 'up']);
  // The bridge plugin turns ip_forward on: nothing may be forwarded between the bridge and any
  // other interface (no pod traffic leaves the machine), and, if forwarding was off before,
  // nothing else either (the machine must not start routing for others).
  const forwardWasOff = readHostRecord()?.sysctls['net.ipv4.ip_forward'] !== '1';
  ensureChain(
    'filter',
    FORWARD_CHAIN,
    [
      ['-i', bridge, '!', '-o', bridge, '-j', 'DROP'],
      ['!', '-i', bridge, '-o', bridge, '-j', 'DROP'],
      ...(forwardWasOff ? [['!', '-i', bridge, '-j', 'DROP']] : []),
    ],
    'FORWARD',
  );
  // The stack's services on the gateway address answer the bridge and the host itself only.
  ensureChain(
    'filter',
    INPUT_CHAIN,
    [
      ['-i', 'lo', '-j', 'RETURN'],
      ['-i', bridge, '-j', 'RETURN'],
      ['-d', podCidr, '-j', 'DROP'],
    ],
    'INPUT',
  );
  // The kubelet's cgroup root must exist before it starts.
  for (const hierarchy of cgroupHierarchies())
    mkdirSync(join(CGROUP_FS, hierarchy, CGROUP_ROOT), { recursive: true });
}

function cgroupHierarchies(): string[] {
  if (!existsSync(CGROUP_FS)) return [];
  return readdirSync(CGROUP_FS).filter(
    (h) => h !== 'unified' && existsSync(join(CGROUP_FS, h, 'cgroup.procs')),
  );
}

/** Splits an iptables-save rule into arguments (double-quoted words kept whole). */
export function splitRule(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of line.matchAll(pattern))
    words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? ''));
  return words;
}

/** Removes every chain matching nodeChain, and the rules of other chains that jump to them. */
function removeNodeChains(binary: 'iptables' | 'ip6tables'): void {
  const saved = run(`${binary}-save`, []);
  if (!saved.ok) return;
  let table = '';
  const chains = new Map<string, string[]>();
  const jumps: [string, string[]][] = [];
  for (const line of saved.out.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const declared = /^:(\S+)/.exec(line);
    if (declared?.[1] !== undefined && nodeChain.test(declared[1]))
      chains.set(table, [...(chains.get(table) ?? []), declared[1]]);
    if (!line.startsWith('-A ')) continue;
    const words = splitRule(line);
    const chain = words[1] ?? '';
    const target = words[words.indexOf('-j') + 1] ?? words[words.indexOf('-g') + 1] ?? '';
    if (!nodeChain.test(chain) && nodeChain.test(target)) jumps.push([table, words.slice(1)]);
  }
  for (const [t, rule] of jumps) run(binary, ['-w', '-t', t, '-D', ...rule]);
  for (const [t, names] of chains) {
    for (const name of names) run(binary, ['-w', '-t', t, '-F', name]);
    for (const name of names) run(binary, ['-w', '-t', t, '-X', name]);
  }
}

/** Mount points under any of `roots`, deepest first. */
function mountsUnder(roots: string[]): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (point !== undefined && roots.some((root) => point === root || point.startsWith(`${root}/`)))
      found.push(point);
  }
  return [...new Set(found)].sort((a, b) => b.length - a.length);
}

function unmountAll(roots: string[]): void {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(roots);
    if (mounts.length === 0) return;
    for (const mount of mounts) if (!run('umount', [mount]).ok) run('umount', ['-l', mount]);
  }
}

/** Pids whose command line contains `needle`. */
function pidsMatching(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(needle))
        found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

function removeCgroups(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroups(join(dir, entry.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    // a process still in it; reported by verifyNodeClean
  }
}

/**
 * Removes what the node left on the host. Safe to run at any time, any number of times, with or
 * without a running (or crashed) node: the processes must be stopped first (stopStack does).
 */
export function teardownNode(): void {
  // Shims outlive containerd by design; their containers die with them (SIGKILL to each tree).
  const shims = pidsMatching(`-address ${containerdSocket()}`);
  for (const pid of shims) {
    const tree = descendantsOf(pid);
    for (const p of [...tree, pid]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  unmountAll([paths.node, '/run/containerd', '/var/lib/kubelet']);
  if (bridgeExists()) {
    // Veths of pods whose sandboxes were never torn down through CNI.
    for (const link of readdirSync(`/sys/class/net/${nodeNetwork.bridge}/brif`))
      run('ip', ['link', 'del', link]);
    run('ip', ['link', 'del', nodeNetwork.bridge]);
  }
  removeNodeChains('iptables');
  removeNodeChains('ip6tables');
  for (const hierarchy of cgroupHierarchies()) removeCgroups(join(CGROUP_FS, hierarchy, CGROUP_ROOT));
  const record = readHostRecord();
  for (const path of fixedPaths) {
    if (record?.preexisting.includes(path) === true) continue;
    rmSync(path, { recursive: true, force: true });
  }
  for (const [key, value] of Object.entries(record?.sysctls ?? {})) {
    if (readSysctl(key) !== value) {
      try {
        writeFileSync(sysctlPath(key), value);
      } catch {
        // reported by verifyNodeClean
      }
    }
  }
  // State the next start must not trust: sandboxes and IP leases of pods that are gone.
  rmSync(nodeDirs.containerdState, { recursive: true, force: true });
  rmSync(nodeDirs.cniIpam, { recursive: true, force: true });
  rmSync(nodeDirs.kubeletRoot, { recursive: true, force: true });
  rmSync(nodeDirs.hostRecord, { force: true });
}

function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** What of the node is still on the host (empty when the teardown left it clean). */
export function nodeLeftovers(): string[] {
  const left: string[] = [];
  if (bridgeExists()) left.push(`link ${nodeNetwork.bridge}`);
  for (const binary of ['iptables-save', 'ip6tables-save']) {
    const saved = run(binary, []);
    for (const line of saved.out.split('\n')) {
      const declared = /^:(\S+)/.exec(line);
      if (declared?.[1] !== undefined && nodeChain.test(declared[1]))
        left.push(`${binary}: chain ${declared[1]}`);
    }
  }
  for (const mount of mountsUnder([paths.node, '/run/containerd', '/var/lib/kubelet']))
    left.push(`mount ${mount}`);
  for (const pid of pidsMatching(`-address ${containerdSocket()}`)) left.push(`shim pid ${pid}`);
  for (const hierarchy of cgroupHierarchies())
    if (existsSync(join(CGROUP_FS, hierarchy, CGROUP_ROOT))) left.push(`cgroup ${hierarchy}/${CGROUP_ROOT}`);
  return left;
}

/** containerd 2.x configuration (version 3). */
export function writeContainerdConfig(): void {
  for (const dir of [nodeDirs.containerdRoot, nodeDirs.containerdState, nodeDirs.cniConf, nodeDirs.cniIpam])
    mkdirSync(dir, { recursive: true });
  const toml = (s: string) => JSON.stringify(s);
  writeIfChanged(
    nodeDirs.containerdConfig,
    [
      '# containerd of the local stack (written by e2e/stack/node.ts).',
      'version = 3',
      `root = ${toml(nodeDirs.containerdRoot)}`,
      `state = ${toml(nodeDirs.containerdState)}`,
      // Nothing of the machine's own containerd configuration, and no NRI socket under /var/run.
      'imports = []',
      "disabled_plugins = ['io.containerd.nri.v1.nri']",
      '',
      '[grpc]',
      `  address = ${toml(containerdSocket())}`,
      '',
      '[ttrpc]',
      `  address = ${toml(`${containerdSocket()}.ttrpc`)}`,
      '',
      "[plugins.'io.containerd.internal.v1.opt']",
      `  path = ${toml(join(nodeDirs.containerdRoot, 'opt'))}`,
      '',
      "[plugins.'io.containerd.cri.v1.images']",
      "  snapshotter = 'overlayfs'",
      "  [plugins.'io.containerd.cri.v1.images'.pinned_images]",
      // No registry can be pulled from here: the sandbox image is built locally (image.ts).
      `    sandbox = ${toml(PAUSE_IMAGE)}`,
      '',
      "[plugins.'io.containerd.cri.v1.runtime']",
      // This VM lacks CAP_SYS_RESOURCE: without this every sandbox fails in runc's nsexec.
      '  restrict_oom_score_adj = true',
      '  netns_mounts_under_state_dir = true',
      "  [plugins.'io.containerd.cri.v1.runtime'.containerd]",
      "    default_runtime_name = 'runc'",
      "    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
      "      runtime_type = 'io.containerd.runc.v2'",
      "      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
      '        SystemdCgroup = false',
      "        BinaryName = '/usr/sbin/runc'",
      "  [plugins.'io.containerd.cri.v1.runtime'.cni]",
      `    bin_dirs = [${toml(nodeBinDir())}]`,
      `    conf_dir = ${toml(nodeDirs.cniConf)}`,
      '    max_conf_num = 1',
      '',
      "[plugins.'io.containerd.grpc.v1.cri']",
      "  stream_server_address = '127.0.0.1'",
      "  stream_server_port = '0'",
      '',
    ].join('\n'),
    0o644,
  );
  writeIfChanged(
    join(nodeDirs.cniConf, '10-ratings-pods.conflist'),
    `${JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: 'ratings-pods',
        plugins: [
          {
            type: 'bridge',
            bridge: nodeNetwork.bridge,
            isGateway: true,
            // No masquerade: pod traffic never leaves the machine (node.ts drops it at FORWARD).
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              dataDir: nodeDirs.cniIpam,
              ranges: [[{ subnet: nodeNetwork.podCidr, gateway: nodeNetwork.gateway }]],
              routes: [{ dst: '0.0.0.0/0' }],
            },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    )}\n`,
    0o644,
  );
}

/** The kubelet's configuration file; its flags are in parts.ts. */
export function writeKubeletConfig(p: Ports): void {
  for (const dir of [nodeDirs.kubeletRoot, nodeDirs.kubeletCerts, nodeDirs.podLogs, nodeDirs.volumePlugins])
    mkdirSync(dir, { recursive: true });
  // Pods get cluster DNS only; nothing of the host's resolver configuration leaks in.
  writeIfChanged(nodeDirs.resolvConf, '# no upstream resolvers: pods resolve cluster names only\n', 0o644);
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // Kubernetes 1.35+ refuses cgroup v1 unless told otherwise; this VM has only cgroup v1.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${CGROUP_ROOT}`,
    containerRuntimeEndpoint: `unix://${containerdSocket()}`,
    address: nodeNetwork.gateway,
    port: p.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: p.kubeletHealthz,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: pkiFiles.caCert },
    },
    authorization: { mode: 'Webhook' },
    clusterDomain: nodeNetwork.clusterDomain,
    clusterDNS: [nodeNetwork.dnsServiceIp],
    resolvConf: nodeDirs.resolvConf,
    podLogsDir: nodeDirs.podLogs,
    volumePluginDir: nodeDirs.volumePlugins,
    failSwapOn: false,
    // Images are imported, never pulled: garbage-collecting one would break the next pod.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '2%', 'imagefs.available': '2%' },
    maxPods: 110,
    serializeImagePulls: false,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    nodeStatusReportFrequency: '10s',
    nodeStatusUpdateFrequency: '10s',
  };
  writeIfChanged(nodeDirs.kubeletConfig, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}

export function writeKubeProxyConfig(p: Ports, kubeconfig: string): void {
  mkdirSync(join(paths.node, 'kube-proxy'), { recursive: true });
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig },
    hostnameOverride: nodeNetwork.nodeName,
    bindAddress: nodeNetwork.gateway,
    // Only the node's pod range counts as local, and node ports only on the gateway address:
    // nothing on 127.0.0.1 (other stacks on this machine use loopback) or eth0 is touched.
    clusterCIDR: nodeNetwork.podCidr,
    detectLocalMode: 'ClusterCIDR',
    nodePortAddresses: [`${nodeNetwork.gateway}/32`],
    metricsBindAddress: `127.0.0.1:${p.kubeProxyMetrics}`,
    healthzBindAddress: `127.0.0.1:${p.kubeProxyHealthz}`,
    iptables: { localhostNodePorts: false, masqueradeAll: false },
    // Zero: leave the machine's conntrack sysctls alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  };
  writeIfChanged(nodeDirs.kubeProxyConfig, `${JSON.stringify(config, null, 2)}\n`, 0o644);
}

export function writeCorefile(p: Ports, kubeconfig: string): void {
  mkdirSync(join(paths.node, 'coredns'), { recursive: true });
  writeIfChanged(
    nodeDirs.corefile,
    [
      '# CoreDNS of the local stack (written by e2e/stack/node.ts): cluster names only, no upstream.',
      '.:53 {',
      `    bind ${nodeNetwork.gateway}`,
      '    errors',
      `    health 127.0.0.1:${p.corednsHealth}`,
      `    ready 127.0.0.1:${p.corednsReady}`,
      `    kubernetes ${nodeNetwork.clusterDomain} in-addr.arpa ip6.arpa {`,
      `        kubeconfig ${kubeconfig} ratings-local`,
      '        pods insecure',
      '        fallthrough in-addr.arpa ip6.arpa',
      '    }',
      '    cache 5',
      '    loadbalance',
      '}',
      '',
    ].join('\n'),
    0o644,
  );
}

/** `ctr` against the stack's containerd, in the namespace the CRI uses. */
export function ctr(args: string[], options: { input?: string } = {}): string {
  return execFileSync(join(nodeBinDir(), 'ctr'), ['-a', containerdSocket(), '-n', 'k8s.io', ...args], {
    encoding: 'utf8',
    input: options.input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** `crictl` against the stack's containerd. */
export function crictl(args: string[]): { ok: boolean; out: string } {
  return run(join(nodeBinDir(), 'crictl'), [
    `--runtime-endpoint=unix://${containerdSocket()}`,
    `--image-endpoint=unix://${containerdSocket()}`,
    '--timeout=60s',
    ...args,
  ]);
}

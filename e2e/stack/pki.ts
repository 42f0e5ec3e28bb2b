// Certificates, keys and kubeconfigs of the local Kubernetes, made with openssl once and kept
// in .local/pki: a CA, the API server's serving certificate (the pod network's gateway, where it
// listens, 127.0.0.1, localhost and the in-cluster names), client certificates for the admin
// (O=system:masters), the controller manager, the scheduler, the kubelet (system:node:<node>),
// kube-proxy and the API server's kubelet client, and the service-account token signing key pair.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeNetwork, paths } from './paths.ts';

export const pkiFiles = {
  caCert: join(paths.pki, 'ca.crt'),
  caKey: join(paths.pki, 'ca.key'),
  apiserverCert: join(paths.pki, 'apiserver.crt'),
  apiserverKey: join(paths.pki, 'apiserver.key'),
  serviceAccountKey: join(paths.pki, 'sa.key'),
  serviceAccountPub: join(paths.pki, 'sa.pub'),
} as const;

/** Client identities: file stem → subject. */
const clients = {
  admin: '/O=system:masters/CN=ratings-local-admin',
  'kube-controller-manager': '/CN=system:kube-controller-manager',
  'kube-scheduler': '/CN=system:kube-scheduler',
  kubelet: `/O=system:nodes/CN=system:node:${nodeNetwork.nodeName}`,
  'kube-proxy': '/CN=system:kube-proxy',
  // For `kubectl logs/exec/port-forward`: the kubelet authorizes the API server through it.
  'kube-apiserver-kubelet-client': '/O=system:masters/CN=kube-apiserver-kubelet-client',
} as const;
export type ClientName = keyof typeof clients;

const DAYS = '3650';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signLeaf(stem: string, subject: string, extensions: string[]): void {
  const key = join(paths.pki, `${stem}.key`);
  const csr = join(paths.pki, `${stem}.csr`);
  const ext = join(paths.pki, `${stem}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', subject, '-out', csr]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pkiFiles.caCert,
    '-CAkey',
    pkiFiles.caKey,
    '-CAcreateserial',
    '-days',
    DAYS,
    '-sha256',
    '-extfile',
    ext,
    '-out',
    join(paths.pki, `${stem}.crt`),
  ]);
  rmSync(csr);
  rmSync(ext);
}

/** Creates whatever part of the PKI is missing (all of it, if the CA is missing). */
export function ensurePki(): void {
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  const wanted = [
    pkiFiles.caCert,
    pkiFiles.apiserverCert,
    pkiFiles.serviceAccountKey,
    pkiFiles.serviceAccountPub,
    ...Object.keys(clients).map((c) => join(paths.pki, `${c}.crt`)),
  ];
  const apiserverSans = `subjectAltName=IP:${nodeNetwork.gateway},IP:127.0.0.1,IP:${nodeNetwork.kubernetesServiceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`;
  const sansFile = join(paths.pki, 'apiserver.sans');
  // A serving certificate made for other addresses (an older stack) is made again.
  if (
    existsSync(pkiFiles.apiserverCert) &&
    (!existsSync(sansFile) || readFileSync(sansFile, 'utf8') !== apiserverSans)
  )
    rmSync(pkiFiles.apiserverCert);
  if (wanted.every((f) => existsSync(f))) return;
  if (!existsSync(pkiFiles.caCert) || !existsSync(pkiFiles.caKey)) {
    // A new CA invalidates every certificate signed by the old one.
    rmSync(paths.pki, { recursive: true, force: true });
    mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      pkiFiles.caKey,
      '-out',
      pkiFiles.caCert,
      '-days',
      DAYS,
      '-sha256',
      '-subj',
      '/CN=ratings-local-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
  }
  if (!existsSync(pkiFiles.apiserverCert)) {
    signLeaf('apiserver', '/CN=kube-apiserver', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      apiserverSans,
    ]);
    writeFileSync(sansFile, apiserverSans);
  }
  for (const [stem, subject] of Object.entries(clients)) {
    if (existsSync(join(paths.pki, `${stem}.crt`))) continue;
    signLeaf(stem, subject, [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
  }
  if (!existsSync(pkiFiles.serviceAccountKey) || !existsSync(pkiFiles.serviceAccountPub)) {
    openssl(['genrsa', '-out', pkiFiles.serviceAccountKey, '2048']);
    openssl(['rsa', '-in', pkiFiles.serviceAccountKey, '-pubout', '-out', pkiFiles.serviceAccountPub]);
  }
}

function b64(file: string): string {
  return readFileSync(file).toString('base64');
}

/** A kubeconfig with the CA and the client's certificate and key embedded. */
export function kubeconfigYaml(client: ClientName, apiserverPort: number): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: ratings-local',
    '    cluster:',
    `      server: https://${nodeNetwork.gateway}:${apiserverPort}`,
    `      certificate-authority-data: ${b64(pkiFiles.caCert)}`,
    'users:',
    `  - name: ${client}`,
    '    user:',
    `      client-certificate-data: ${b64(join(paths.pki, `${client}.crt`))}`,
    `      client-key-data: ${b64(join(paths.pki, `${client}.key`))}`,
    'contexts:',
    '  - name: ratings-local',
    '    context:',
    '      cluster: ratings-local',
    `      user: ${client}`,
    'current-context: ratings-local',
    '',
  ].join('\n');
}

/** Writes a file only when its content changes (keeps mtimes stable for a reused stack). */
export function writeIfChanged(file: string, content: string, mode = 0o600): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  writeFileSync(file, content, { mode });
}

/** The admin kubeconfig at .local/kubeconfig and one per control-plane client under .local/config. */
export function writeKubeconfigs(apiserverPort: number): Record<ClientName, string> {
  mkdirSync(paths.config, { recursive: true });
  writeIfChanged(paths.kubeconfig, kubeconfigYaml('admin', apiserverPort));
  const result = { admin: paths.kubeconfig } as Record<ClientName, string>;
  for (const client of ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'] as const) {
    const file = join(paths.config, `${client}.kubeconfig`);
    writeIfChanged(file, kubeconfigYaml(client, apiserverPort));
    result[client] = file;
  }
  return result;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsFromKubeconfig, loadCredentials, type Kubeconfig } from './kube-credentials.ts';

const files: Record<string, string> = {
  '/cfg/ca.pem': 'CA',
  '/abs/key.pem': 'KEY',
  '/cfg/token': 'tok-from-file\n',
};
const read = (path: string): Buffer => {
  const content = files[path];
  if (content === undefined) throw new Error(`ENOENT ${path}`);
  return Buffer.from(content);
};

function config(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): Kubeconfig {
  return {
    'current-context': 'ctx',
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
  };
}

describe('credentialsFromKubeconfig', () => {
  it('reads inline data and files relative to the kubeconfig', () => {
    const creds = credentialsFromKubeconfig(
      config(
        { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key': '/abs/key.pem' },
        { 'certificate-authority': 'ca.pem', 'tls-server-name': 'kubernetes' },
      ),
      '/cfg',
      read,
    );
    expect(creds.server.href).toBe('https://127.0.0.1:6443/');
    expect(creds.tls.ca?.toString()).toBe('CA');
    expect(creds.tls.cert?.toString()).toBe('CERT');
    expect(creds.tls.key?.toString()).toBe('KEY');
    expect(creds.tls.servername).toBe('kubernetes');
    expect(creds.tls.rejectUnauthorized).toBeUndefined();
    expect(creds.authorization()).toBeUndefined();
  });

  it('sends a bearer token, inline or from a file', () => {
    expect(credentialsFromKubeconfig(config({ token: 'abc' }), '/cfg', read).authorization()).toBe(
      'Bearer abc',
    );
    expect(credentialsFromKubeconfig(config({ tokenFile: 'token' }), '/cfg', read).authorization()).toBe(
      'Bearer tok-from-file',
    );
  });

  it("reads the token file of @kubernetes/client-node's tokenFile auth provider", () => {
    const user = { 'auth-provider': { name: 'tokenFile', config: { tokenFile: '/cfg/token' } } };
    expect(credentialsFromKubeconfig(config(user), '/cfg', read).authorization()).toBe(
      'Bearer tok-from-file',
    );
  });

  it('supports basic auth and skipping TLS verification when asked to', () => {
    const creds = credentialsFromKubeconfig(
      config({ username: 'admin', password: 'pw' }, { 'insecure-skip-tls-verify': true }),
      '/cfg',
      read,
    );
    expect(creds.authorization()).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
    expect(creds.tls.rejectUnauthorized).toBe(false);
  });

  it('refuses exec plugins with a message that says what to use instead', () => {
    expect(() => credentialsFromKubeconfig(config({ exec: { command: 'aws' } }), '/cfg', read)).toThrow(
      'kubeconfig user "u" uses an exec plugin or auth provider, which ratings-operator does not support',
    );
    expect(() =>
      credentialsFromKubeconfig(config({ 'auth-provider': { name: 'oidc', config: {} } }), '/cfg', read),
    ).toThrow(/auth provider/);
  });

  it('names what is missing', () => {
    expect(() => credentialsFromKubeconfig({}, '/cfg', read)).toThrow(
      'the kubeconfig has no current-context',
    );
    expect(() => credentialsFromKubeconfig({ ...config({}), contexts: [] }, '/cfg', read)).toThrow(
      'the kubeconfig has no context "ctx"',
    );
    expect(() => credentialsFromKubeconfig({ ...config({}), clusters: [] }, '/cfg', read)).toThrow(
      'the kubeconfig has no cluster "c" with a server',
    );
  });
});

describe('loadCredentials', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-credentials-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file the given environment names', () => {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:16443' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const creds = loadCredentials({ KUBECONFIG: path });
    expect(creds.server.href).toBe('https://127.0.0.1:16443/');
    expect(creds.authorization()).toBe('Bearer t');
  });

  it('names a KUBECONFIG that does not exist', () => {
    const missing = join(dir, 'missing');
    expect(() => loadCredentials({ KUBECONFIG: missing })).toThrow(`KUBECONFIG points to ${missing}`);
  });
});

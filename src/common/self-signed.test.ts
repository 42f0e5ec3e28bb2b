import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer } from 'node:https';
import { request } from 'node:https';
import { selfSignedCertificate } from './self-signed.ts';

describe('selfSignedCertificate', () => {
  const now = new Date('2026-11-29T10:00:00Z');
  const { cert, key } = selfSignedCertificate('ratings-operator', ['localhost', '127.0.0.1'], 365, now);
  const x509 = new X509Certificate(cert);

  it('is a v3 certificate for the names asked, signed by its own key', () => {
    expect(x509.subject).toBe('CN=ratings-operator');
    expect(x509.issuer).toBe('CN=ratings-operator');
    expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x509.ca).toBe(false);
    expect(new Date(x509.validFrom).getTime()).toBe(now.getTime() - 3_600_000);
    expect(new Date(x509.validTo).getTime()).toBe(now.getTime() + 365 * 86_400_000);
  });

  it('encodes every random serial number minimally (a leading zero byte once made OpenSSL refuse it)', () => {
    for (let i = 0; i < 1000; i++) {
      const { cert: pem } = selfSignedCertificate('x', ['a'], 1, now);
      expect(new X509Certificate(pem).serialNumber).toMatch(/^[0-9A-F]+$/);
    }
  });

  it('uses GeneralizedTime past 2049', () => {
    const late = new X509Certificate(
      selfSignedCertificate('x', ['a'], 30, new Date('2060-01-01T00:00:00Z')).cert,
    );
    expect(new Date(late.validTo).toISOString()).toBe('2060-01-31T00:00:00.000Z');
  });

  it('serves TLS that a client trusting it verifies, for its names', async () => {
    const fresh = selfSignedCertificate('test', ['localhost', '127.0.0.1']);
    const server = createServer(fresh, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, ca: fresh.cert, servername: 'localhost' }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('ok');
    } finally {
      server.close();
    }
  });
});

// The controller's /metrics, protected as kubebuilder scaffolds it today: HTTPS on its own port
// (METRICS_PORT, 8443), every request authenticated with a TokenReview and authorized with a
// SubjectAccessReview for `get` on the non-resource URL /metrics (the metrics-reader ClusterRole
// grants it), decisions cached briefly (src/common/kube-auth.ts). The certificate is
// METRICS_CERT_DIR's tls.crt and tls.key (e.g. a cert-manager Secret), else a self-signed one made
// at start. The probes stay on PORT, plain HTTP, for the kubelet.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { checkRequest, type KubeAuth } from '../common/kube-auth.ts';
import { listen, type HttpServer } from '../common/probe-server.ts';
import type { Logger } from '../common/logger.ts';
import { selfSignedCertificate, type TlsMaterial } from '../common/self-signed.ts';

export const METRICS_ACCESS = { nonResource: { path: '/metrics', verb: 'get' } };

export interface MetricsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  auth: Pick<KubeAuth, 'authenticate' | 'authorize'>;
  /** A directory holding tls.crt and tls.key; a self-signed certificate when undefined. */
  certDir?: string;
  logger: Logger;
}

/** The serving certificate: the one given, else a self-signed one for the pod's name and localhost. */
export function metricsTls(certDir: string | undefined, podName: string): TlsMaterial {
  if (certDir !== undefined) {
    return {
      cert: readFileSync(join(certDir, 'tls.crt'), 'utf8'),
      key: readFileSync(join(certDir, 'tls.key'), 'utf8'),
    };
  }
  return selfSignedCertificate('ratings-operator-metrics', [podName, 'localhost', '127.0.0.1']);
}

export async function startMetricsServer(
  options: MetricsServerOptions & { tls: TlsMaterial },
): Promise<HttpServer> {
  const { registry, auth, logger } = options;
  const server: Server = createServer(options.tls, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://metrics').pathname;
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: only GET /metrics is served here\n');
      return;
    }
    checkRequest(auth, req.headers.authorization, METRICS_ACCESS, 'ratings-operator-metrics')
      .then(async (result) => {
        if ('refusal' in result) {
          const { status, headers, body } = result.refusal;
          if (status === 503) logger.warn({ reason: body.reason }, 'cannot check who scrapes /metrics');
          res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
          return;
        }
        const text = await registry.metrics();
        res
          .writeHead(200, { 'content-type': registry.contentType })
          .end(req.method === 'HEAD' ? undefined : text);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'serving /metrics failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
  });
  const listening = await listen(server, options.port, options.host);
  logger.info(
    { port: listening.port, certificate: options.certDir ?? 'self-signed' },
    'metrics server listening (HTTPS, authenticated)',
  );
  return listening;
}

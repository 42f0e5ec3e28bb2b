// Performs one probe attempt (HTTP GET or TCP connect) against a local port.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { ProbeSettings } from './probes.ts';

/** Succeeds on HTTP 200-399 (as the kubelet does) or an accepted TCP connection. */
export function probeOnce(settings: ProbeSettings, host: string): Promise<boolean> {
  const { action, timeoutMs } = settings;
  return new Promise((resolve) => {
    if ('tcp' in action) {
      const socket = connect({ host, port: action.tcp.port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
      return;
    }
    // HTTPS probes are sent as plain HTTP: our processes serve HTTP only.
    const req = request(
      { host, port: action.http.port, path: action.http.path, method: 'GET', timeout: timeoutMs },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    req.once('timeout', () => req.destroy(new Error('probe timed out')));
    req.once('error', () => resolve(false));
    req.end();
  });
}

// Who may read /metrics, the same rule for the API's /metrics and a worker's own metrics port
// (telemetry/metrics-server.ts). The metrics name tasks and show their activity, so:
// - SYNC_CENTER_METRICS_TOKEN set: every scrape must send `Authorization: Bearer <that token>`
//   (compared in constant time, as digests so the length leaks nothing either);
// - unset: only scrapes from this host are answered (a loopback peer, and none of the headers a
//   reverse proxy adds: a proxy on this host forwarding an outside request is not a local scrape; a
//   proxy that adds none of them cannot be told apart, so the README says to set the token behind
//   one). The compose shape sets a token, which its Prometheus sends (deploy/prometheus.yml).
import { createHash, timingSafeEqual } from 'node:crypto';

export const metricsTokenVariable = 'SYNC_CENTER_METRICS_TOKEN';

export interface MetricsRequest {
  authorization?: string;
  /** the TCP peer's address */
  remoteAddress?: string;
  /** whether a proxy passed the request on (forwardedByProxy) */
  forwarded: boolean;
}

/** Headers reverse proxies add (nginx's X-Real-IP, the RFC 7239 and de-facto forwarding ones, Via). */
const proxyHeaders = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'] as const;

export function forwardedByProxy(headers: Record<string, string | string[] | undefined>): boolean {
  return proxyHeaders.some((name) => headers[name] !== undefined);
}

export type MetricsRefusal = { status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** The check for one endpoint: undefined lets the scrape through, else why not. */
export function metricsAccess(token: string | undefined): (request: MetricsRequest) => MetricsRefusal | undefined {
  const expected = token ? digest(token) : undefined;
  return (request) => {
    if (expected) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '');
      if (!match || !timingSafeEqual(digest(match[1]), expected)) return { status: 401, code: 'unauthorized', message: `the metrics token (${metricsTokenVariable}) is required` };
      return undefined;
    }
    if (!isLoopback(request.remoteAddress) || request.forwarded) {
      return { status: 403, code: 'forbidden', message: `metrics are served to this host only; set ${metricsTokenVariable} to let a remote Prometheus scrape with it` };
    }
    return undefined;
  };
}

/** The metrics token from the environment (blank is unset). */
export function metricsTokenFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  return env[metricsTokenVariable]?.trim() || undefined;
}

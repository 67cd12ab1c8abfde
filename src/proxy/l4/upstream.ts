// Opens the upstream side of a layer-4 connection: plain TCP to an endpoint, or TLS when the
// cluster asks for it (BackendTLSPolicy: SNI, trusted CAs, expected subject alt names, and the
// client certificate the Gateway presents). Resolves once bytes can flow; rejects with a
// WicketError (UPSTREAM_CONNECT / UPSTREAM_TIMEOUT) naming the endpoint.

import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint, UpstreamTLS } from '../../ir/types.ts';
import { ErrorCodes, WicketError } from '../../errors.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  timeoutMs?: number;
  /** Originate TLS with these settings; absent = plain TCP. */
  tls?: UpstreamTLS;
}

export function connectUpstream(endpoint: Endpoint, opts: ConnectOptions = {}): Promise<net.Socket> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const where = `${endpoint.address}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    const sock: net.Socket = opts.tls
      ? tls.connect({ host: endpoint.address, port: endpoint.port, ...upstreamTLSOptions(opts.tls) })
      : net.connect({ host: endpoint.address, port: endpoint.port, allowHalfOpen: true });
    sock.allowHalfOpen = true; // tls.connect has no option for it; the property is what counts
    const ready = opts.tls ? 'secureConnect' : 'connect';
    const cleanup = () => {
      sock.setTimeout(0);
      sock.removeListener('error', onError);
      sock.removeListener('timeout', onTimeout);
      sock.removeListener(ready, onReady);
    };
    const onReady = () => {
      cleanup();
      sock.setNoDelay(true);
      resolve(sock);
    };
    const onError = (err: Error) => {
      cleanup();
      sock.destroy();
      reject(new WicketError(ErrorCodes.UPSTREAM_CONNECT, `connecting to ${where}: ${err.message}`, { cause: err }));
    };
    const onTimeout = () => {
      cleanup();
      sock.destroy();
      reject(new WicketError(ErrorCodes.UPSTREAM_TIMEOUT, `connecting to ${where}: no answer within ${timeoutMs} ms`));
    };
    sock.setTimeout(timeoutMs);
    sock.once('timeout', onTimeout);
    sock.once('error', onError);
    sock.once(ready, onReady);
  });
}

/** node:tls client options for a BackendTLSPolicy. */
export function upstreamTLSOptions(t: UpstreamTLS): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = {
    rejectUnauthorized: true,
    ca: t.caPem ?? systemCAs(),
  };
  if (net.isIP(t.serverName) === 0) opts.servername = t.serverName;
  if (t.clientCertificate) {
    opts.cert = t.clientCertificate.certPem;
    opts.key = t.clientCertificate.keyPem;
  }
  const sans = t.subjectAltNames;
  opts.checkServerIdentity = (_host, cert) => {
    if (sans === undefined || sans.length === 0) return tls.checkServerIdentity(t.serverName, cert);
    // With subjectAltNames the certificate must carry one of them; serverName is only the SNI.
    const have = (cert.subjectaltname ?? '').split(', ');
    for (const want of sans) {
      if (want.type === 'URI' && have.includes(`URI:${want.value}`)) return undefined;
      if (want.type === 'Hostname' && have.some((h) => h.startsWith('DNS:') && dnsNameCovers(h.slice(4).toLowerCase(), want.value.toLowerCase()))) {
        return undefined;
      }
    }
    return new Error(`certificate SANs (${cert.subjectaltname ?? 'none'}) match none of ${sans.map((s) => s.value).join(', ')}`);
  };
  return opts;
}

/** X.509 name matching: `*.example.com` in a certificate covers exactly one label. */
export function dnsNameCovers(certName: string, name: string): boolean {
  if (!certName.startsWith('*.')) return certName === name;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === certName.slice(2);
}

let systemCache: string[] | undefined;
function systemCAs(): string[] | undefined {
  // `wellKnown: System`: the operating system's trust store (Node >= 22.15 can read it).
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (get === undefined) return undefined;
  systemCache ??= get('system');
  return systemCache.length > 0 ? systemCache : undefined;
}

// TLS from the gateway to a backend (BackendTLSPolicy): trusted CAs, the SNI to send, the names
// to verify (the server name, or the policy's subjectAltNames), and an optional client cert.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { UpstreamTLS } from '../../ir/types.ts';

export interface UpstreamConnectOptions {
  ca?: string;
  cert?: string;
  key?: string;
  servername: string;
  rejectUnauthorized: true;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

export function upstreamConnectOptions(tls: UpstreamTLS): UpstreamConnectOptions {
  const sans = tls.subjectAltNames ?? [];
  const verify = (_host: string, cert: PeerCertificate): Error | undefined => {
    if (sans.length === 0) return checkServerIdentity(tls.serverName, cert);
    const uris = (cert.subjectaltname ?? '')
      .split(', ')
      .filter((s) => s.startsWith('URI:'))
      .map((s) => s.slice(4));
    for (const san of sans) {
      if (san.type === 'URI' ? uris.includes(san.value) : checkServerIdentity(san.value, cert) === undefined) return undefined;
    }
    return new Error(
      `upstream certificate names (${cert.subjectaltname ?? 'none'}) match none of ${sans.map((s) => `${s.type}:${s.value}`).join(', ')}`,
    );
  };
  return {
    ...(tls.wellKnown === 'System' || tls.caPem === undefined ? {} : { ca: tls.caPem }),
    ...(tls.clientCertificate ? { cert: tls.clientCertificate.certPem, key: tls.clientCertificate.keyPem } : {}),
    servername: tls.serverName,
    rejectUnauthorized: true,
    checkServerIdentity: verify,
  };
}

/** A key that is equal for equal TLS settings, so pools are shared and reused across applies. */
export function tlsKey(tls: UpstreamTLS | undefined): string {
  return tls === undefined ? '' : JSON.stringify(tls);
}

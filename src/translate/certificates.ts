// TLS material from Secrets and CA bundles from ConfigMaps, parsed and checked with node:crypto
// (pure: no I/O). A certificate is usable when the Secret has PEM `tls.crt` and `tls.key` that
// parse and belong together.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Certificate } from '../ir/types.ts';
import type { ConfigMap, Secret } from '../resources/types.ts';
import { keyOf } from './meta.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (typeof plain === 'string') return plain;
  const b64 = secret.data?.[key];
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every PEM certificate in a bundle, or a problem when there is none or one does not parse. */
export function parseCertificateBundle(pem: string): Parsed<X509Certificate[]> {
  const blocks = typeof pem === 'string' ? (pem.match(PEM_CERT) ?? []) : [];
  if (blocks.length === 0) return { ok: false, problem: 'no PEM certificate found' };
  try {
    return { ok: true, value: blocks.map((b) => new X509Certificate(b)) };
  } catch (err) {
    return { ok: false, problem: `certificate does not parse: ${(err as Error).message}` };
  }
}

/** DNS names a certificate covers: its DNS SANs, else its subject CN; lower case. */
export function certificateDnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    const names = san
      .split(/,\s*/)
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
    if (names.length > 0) return names;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

const certCache = new WeakMap<Secret, Parsed<Certificate>>();

/** A kubernetes.io/tls Secret turned into an IR certificate. Cached per Secret object. */
export function parseTLSSecret(secret: Secret): Parsed<Certificate> {
  const cached = certCache.get(secret);
  if (cached) return cached;
  const result = parseUncached(secret);
  certCache.set(secret, result);
  return result;
}

function parseUncached(secret: Secret): Parsed<Certificate> {
  const where = `Secret ${keyOf(secret)}`;
  if (secret.type && secret.type !== 'kubernetes.io/tls') {
    return { ok: false, problem: `${where} has type ${secret.type}, want kubernetes.io/tls` };
  }
  const certPem = secretValue(secret, 'tls.crt');
  const keyPem = secretValue(secret, 'tls.key');
  if (!certPem || !keyPem) return { ok: false, problem: `${where} lacks tls.crt or tls.key` };
  const certs = parseCertificateBundle(certPem);
  if (!certs.ok) return { ok: false, problem: `${where}: tls.crt: ${certs.problem}` };
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return { ok: false, problem: `${where}: tls.key does not parse: ${(err as Error).message}` };
  }
  const leaf = certs.value[0]!;
  if (!leaf.checkPrivateKey(key)) return { ok: false, problem: `${where}: tls.key does not match tls.crt` };
  return { ok: true, value: { source: keyOf(secret), certPem, keyPem, dnsNames: certificateDnsNames(leaf) } };
}

/** The CA bundle under `ca.crt` of a ConfigMap. */
export function parseCABundle(cm: ConfigMap): Parsed<string> {
  const pem = cm.data?.['ca.crt'];
  if (!pem) return { ok: false, problem: `ConfigMap ${keyOf(cm)} has no ca.crt` };
  const certs = parseCertificateBundle(pem);
  if (!certs.ok) return { ok: false, problem: `ConfigMap ${keyOf(cm)}: ca.crt: ${certs.problem}` };
  return { ok: true, value: pem };
}

/** A client certificate Secret (Gateway spec.tls.backend). */
export function parseClientCertificate(secret: Secret): Parsed<{ certPem: string; keyPem: string }> {
  const c = parseTLSSecret(secret);
  return c.ok ? { ok: true, value: { certPem: c.value.certPem, keyPem: c.value.keyPem } } : c;
}

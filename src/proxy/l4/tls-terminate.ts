// TLS termination for TLS listeners in mode Terminate: a node:tls Server that never listens —
// connections are handed to it with emit('connection') once the dispatcher has read the
// ClientHello — with the listener's certificates (chosen by SNI) and client validation.
//
// Secure contexts are costly to build, so a TerminatorCache keeps each listener's server across
// IR generations for as long as its TLS settings stay the same.

import type net from 'node:net';
import tls from 'node:tls';
import type { ListenerTLS } from '../../ir/types.ts';
import { dnsNameCovers } from './upstream.ts';

/**
 * Chooses the certificate for a server name: an exact DNS name first, then a wildcard covering it,
 * else the first certificate (the listener's default).
 */
export function selectCertificate<T extends { dnsNames: readonly string[] }>(certs: readonly T[], serverName: string | undefined): T | undefined {
  if (serverName !== undefined) {
    for (const c of certs) if (c.dnsNames.includes(serverName)) return c;
    for (const c of certs) if (c.dnsNames.some((n) => n.startsWith('*.') && dnsNameCovers(n, serverName))) return c;
  }
  return certs[0];
}

export interface TerminatorEvents {
  /** After each completed handshake. */
  secure(sock: tls.TLSSocket): void;
  /** A failed handshake (Node has destroyed the socket). */
  fail(err: Error, sock: tls.TLSSocket): void;
}

/** One listener's TLS server; `accept` takes a raw socket whose peeked bytes were unshifted. */
export interface Terminator {
  accept(raw: net.Socket): void;
}

export function createTerminator(settings: ListenerTLS, handshakeTimeoutMs: number, events: TerminatorEvents): Terminator {
  const validation = settings.clientValidation;
  const ca = validation ? { ca: validation.caPem } : {};
  const entries = settings.certificates.map((c) => ({
    dnsNames: c.dnsNames,
    ctx: tls.createSecureContext({ cert: c.certPem, key: c.keyPem, ...ca }),
  }));
  const first = settings.certificates[0];
  const server = tls.createServer({
    allowHalfOpen: true,
    handshakeTimeout: handshakeTimeoutMs,
    requestCert: validation !== undefined,
    rejectUnauthorized: validation?.mode === 'AllowValidOnly',
    // Without SNI the server's own context is used: the listener's first certificate.
    ...(first ? { cert: first.certPem, key: first.keyPem, ...ca } : {}),
    SNICallback: (name, cb) => cb(null, selectCertificate(entries, name.toLowerCase())?.ctx),
  });
  server.on('secureConnection', (s: tls.TLSSocket) => events.secure(s));
  server.on('tlsClientError', (err: Error, s: tls.TLSSocket) => events.fail(err, s));
  return { accept: (raw) => void server.emit('connection', raw) };
}

/** Terminators by TLS settings, kept across IR generations while the settings stay the same. */
export class TerminatorCache {
  private current = new Map<string, Terminator>();
  private next = new Map<string, Terminator>();
  private readonly handshakeTimeoutMs: number;
  private readonly events: TerminatorEvents;

  constructor(handshakeTimeoutMs: number, events: TerminatorEvents) {
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.events = events;
  }

  get(settings: ListenerTLS): Terminator {
    const key = JSON.stringify([settings.certificates, settings.clientValidation ?? null]);
    let t = this.next.get(key) ?? this.current.get(key);
    if (t === undefined) t = createTerminator(settings, this.handshakeTimeoutMs, this.events);
    this.next.set(key, t);
    return t;
  }

  /** Ends a generation: terminators not asked for since the last sweep are dropped. */
  sweep(): void {
    this.current = this.next;
    this.next = new Map();
  }
}

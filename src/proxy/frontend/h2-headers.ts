// Header lists across the HTTP/2 boundary. The core works on flat lists ([name, value, …], as
// node:http gives them); node:http2 speaks header objects with pseudo-headers. These functions
// convert both ways and enforce what RFC 9113 §8.2 says a gateway must do in between:
// pseudo-headers are never forwarded as fields, connection-specific fields are dropped (an HTTP/2
// peer rejects them), `te` survives only as `te: trailers`, and split `cookie` fields are joined.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2), plus `host`, which travels as `:authority`. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

function put(h: OutgoingHttpHeaders, name: string, value: string): void {
  const cur = h[name];
  if (cur === undefined) h[name] = value;
  else if (Array.isArray(cur)) cur.push(value);
  else h[name] = [String(cur), value];
}

/**
 * The flat request header list of an HTTP/2 request, as the core expects it: `host` first (from
 * `:authority`, which wins over a `host` field when both are sent), pseudo-headers left out,
 * `cookie` fields joined with "; " (RFC 9113 §8.2.3) so an HTTP/1.1 backend gets one.
 */
export function h2RequestToFlat(rawHeaders: string[], authority: string | undefined): string[] {
  const out: string[] = [];
  let cookie: string | null = null;
  let host: string | null = authority !== undefined && authority.length > 0 ? authority : null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const n = rawHeaders[i]!;
    if (n.charCodeAt(0) === 58 /* : */) continue;
    const v = rawHeaders[i + 1]!;
    if (n === 'cookie') {
      cookie = cookie === null ? v : `${cookie}; ${v}`;
      continue;
    }
    if (n === 'host') {
      host ??= v;
      continue;
    }
    out.push(n, v);
  }
  if (cookie !== null) out.push('cookie', cookie);
  if (host !== null) out.unshift('host', host);
  return out;
}

/** True when a `te` value asks for trailers (the only `te` HTTP/2 allows). */
export function teWantsTrailers(value: string | undefined): boolean {
  if (value === undefined) return false;
  for (const t of value.split(',')) if (t.trim().split(';')[0]!.toLowerCase() === 'trailers') return true;
  return false;
}

/**
 * An HTTP/2 request header object from a flat list as the core built it (Host in it). The
 * authority comes from `host`, else `fallbackAuthority` (the endpoint). `te: trailers` is sent
 * when the list asks for it or the request is gRPC (gRPC requires it).
 */
export function flatToH2Request(
  list: string[],
  method: string,
  path: string,
  scheme: 'http' | 'https',
  fallbackAuthority: string,
  grpc: boolean,
): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { ':method': method, ':scheme': scheme, ':path': path };
  let authority: string | null = null;
  let cookie: string | null = null;
  let te = grpc;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!.toLowerCase();
    const v = list[i + 1]!;
    if (n.charCodeAt(0) === 58) continue;
    if (n === 'host') {
      authority ??= v;
      continue;
    }
    if (n === 'te') {
      te ||= teWantsTrailers(v);
      continue;
    }
    if (CONNECTION_SPECIFIC.has(n)) continue;
    if (n === 'cookie') {
      cookie = cookie === null ? v : `${cookie}; ${v}`;
      continue;
    }
    put(h, n, v);
  }
  h[':authority'] = authority ?? fallbackAuthority;
  if (cookie !== null) h['cookie'] = cookie;
  if (te) h['te'] = 'trailers';
  return h;
}

function putFields(h: OutgoingHttpHeaders, list: readonly (string | Buffer)[]): OutgoingHttpHeaders {
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i]!.toString().toLowerCase();
    if (n.charCodeAt(0) === 58 || CONNECTION_SPECIFIC.has(n) || n === 'te') continue;
    put(h, n, list[i + 1]!.toString());
  }
  return h;
}

/** A response header object (`:status` plus fields) from a flat list; connection fields dropped. */
export function flatToH2Response(status: number, list: readonly (string | Buffer)[]): OutgoingHttpHeaders {
  return putFields({ ':status': status }, list);
}

/** A trailer object from a flat list (undici gives Buffers, our HTTP/2 client strings). */
export function flatToH2Trailers(list: readonly (string | Buffer)[]): OutgoingHttpHeaders {
  return putFields({}, list);
}

/** Trailers (or response headers) from node:http2 as a flat list, pseudo-headers left out. */
export function h2HeadersToFlat(h: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const n of Object.keys(h)) {
    if (n.charCodeAt(0) === 58) continue;
    const v = h[n];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(n, x);
    else out.push(n, String(v));
  }
  return out;
}

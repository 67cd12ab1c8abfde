// The transport-independent view of a request that the router and filters work on. The HTTP/1.1
// front end fills it from node:http today; an HTTP/2 front end (`:authority`, `:path`), or a raw
// socket parser later, fills the same fields, so nothing past the front end depends on node:http.

export interface RequestHead {
  method: string;
  /** Scheme the client used to reach us. */
  scheme: 'http' | 'https';
  /** Host header (or :authority) exactly as received; '' when absent. */
  authority: string;
  /** Host for routing: lower case, port stripped, trailing dot removed. */
  host: string;
  /** Raw request target as received (path and query), forwarded byte for byte. */
  target: string;
  /** The part of `target` before `?`. Not decoded, not normalised. */
  path: string;
  /** The part of `target` after the first `?` (without it); '' when absent. */
  query: string;
  /** Header names and values as received, flat: [name0, value0, name1, value1, ...]. */
  rawHeaders: string[];
  /** Lower-cased names of rawHeaders, filled on first use by `headerValue`. */
  lowerNames: string[] | null;
  /** Parsed query, filled on first use by `queryValue`. */
  queryMap: Map<string, string> | null;
  remoteAddress: string;
  /** Port the client connected to (the listener's port). */
  localPort: number;
  /** TLS server name the client sent, if any. */
  sni: string | null;
  /**
   * The head passed the raw-socket front end's strict parser: method and names are tokens, values
   * HTAB/SP/VCHAR/obs-text, the target visible ASCII. An upstream head built from it (and from
   * the forwarding headers) needs no second check unless a filter changed it.
   */
  checked: boolean;
}

/**
 * The last authority normalised and its result: keep-alive clients repeat their Host header (the
 * strict parser even hands the same string again), and lastIndexOf and toLowerCase are calls into
 * the runtime on every request otherwise.
 */
let lastAuthority = '';
let lastHost = '';

/** Lower case, without a port and without a trailing dot: the form hostnames are matched in. */
export function normaliseHost(authority: string): string {
  if (authority === lastAuthority) return lastHost;
  const host = normaliseHostOnce(authority);
  lastAuthority = authority;
  lastHost = host;
  return host;
}

function normaliseHostOnce(authority: string): string {
  let end = authority.length;
  if (authority.charCodeAt(0) === 91 /* [ */) {
    // IPv6 literal: [::1]:8080
    const close = authority.indexOf(']');
    end = close === -1 ? end : close + 1;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && authority.charCodeAt(end - 1) === 46 /* . */) end--;
  const host = end === authority.length ? authority : authority.slice(0, end);
  return host.toLowerCase();
}

/** A 4-character header name is `host` in any case (no lower-cased copy per request). */
export function isHostName(n: string): boolean {
  return (n.charCodeAt(0) | 0x20) === 0x68 && (n.charCodeAt(1) | 0x20) === 0x6f && (n.charCodeAt(2) | 0x20) === 0x73 && (n.charCodeAt(3) | 0x20) === 0x74;
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([/?][^#]*)?/i;

export function makeHead(
  method: string,
  scheme: 'http' | 'https',
  target: string,
  rawHeaders: string[],
  remoteAddress: string,
  localPort: number,
  sni: string | null,
): RequestHead {
  let authority = '';
  let hostAt = -1;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const n = rawHeaders[i]!;
    if (n.length === 4 && isHostName(n)) {
      authority = rawHeaders[i + 1]!;
      hostAt = i;
      break;
    }
  }
  if (target.charCodeAt(0) !== 47 /* / */) {
    // Absolute form (`GET http://host/path`, RFC 9112 §3.2.2): the URI's authority wins over the
    // Host header, and the request goes upstream in origin form with that Host.
    const abs = ABSOLUTE_FORM.exec(target);
    if (abs !== null) {
      authority = abs[1]!;
      target = abs[2] === undefined || abs[2] === '' ? '/' : abs[2].charCodeAt(0) === 63 /* ? */ ? `/${abs[2]}` : abs[2];
      rawHeaders = rawHeaders.slice();
      if (hostAt === -1) rawHeaders.push('host', authority);
      else rawHeaders[hostAt + 1] = authority;
    }
  }
  const q = target.indexOf('?');
  return {
    method,
    scheme,
    authority,
    host: normaliseHost(authority),
    target,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    rawHeaders,
    lowerNames: null,
    queryMap: null,
    remoteAddress,
    localPort,
    sni,
    checked: false,
  };
}

function lowerNames(head: RequestHead): string[] {
  let names = head.lowerNames;
  if (names === null) {
    const raw = head.rawHeaders;
    names = new Array<string>(raw.length >> 1);
    for (let i = 0; i < raw.length; i += 2) names[i >> 1] = raw[i]!.toLowerCase();
    head.lowerNames = names;
  }
  return names;
}

/**
 * The value of a header for matching: repeated fields are combined with ", " as RFC 9110 §5.3
 * allows (the Gateway API defers to it for repeated headers). `undefined` when absent.
 */
export function headerValue(head: RequestHead, lowerName: string): string | undefined {
  const names = lowerNames(head);
  let value: string | undefined;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === lowerName) {
      const v = head.rawHeaders[2 * i + 1]!;
      value = value === undefined ? v : `${value}, ${v}`;
    }
  }
  return value;
}

function decode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The first value of a query parameter, percent-decoded; names are case-sensitive. The Gateway
 * API recommends the first value when a parameter repeats.
 */
export function queryValue(head: RequestHead, name: string): string | undefined {
  let map = head.queryMap;
  if (map === null) {
    map = new Map();
    const q = head.query;
    if (q.length > 0) {
      for (const part of q.split('&')) {
        if (part.length === 0) continue;
        const eq = part.indexOf('=');
        const k = decode(eq === -1 ? part : part.slice(0, eq));
        if (!map.has(k)) map.set(k, eq === -1 ? '' : decode(part.slice(eq + 1)));
      }
    }
    head.queryMap = map;
  }
  return map.get(name);
}

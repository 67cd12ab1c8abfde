// A strict HTTP/1.1 request-head parser for the raw-socket front end (RFC 9112). It reads bytes,
// never guesses: anything RFC 9112 forbids, or that two parsers could read two ways (the stuff of
// request smuggling), is refused with a status code instead of being "repaired":
//  - lines end in CRLF only; a bare CR or a bare LF anywhere in the head is 400;
//  - obs-fold (a header line starting with SP or HTAB) is 400;
//  - field names are tokens, with nothing between the name and the colon;
//  - field values are HTAB / SP / VCHAR / obs-text; any other control byte is 400;
//  - Content-Length is 1*DIGIT and appears once; Transfer-Encoding with Content-Length is 400;
//    a Transfer-Encoding other than exactly `chunked` is 501;
//  - HTTP/1.1 needs exactly one Host;
//  - a head larger than the limit is 431.
// Requests the fast path does not serve itself (Upgrade, an Expect other than one 100-continue,
// HTTP/1.0, CONNECT,
// targets not in origin form) are returned with `fallback` set, already validated, so the node:http
// server that takes the connection over never sees a head we would have refused.
import { TCHAR, VCHAR } from './byte-classes.ts';

/** Largest request head accepted (node:http's default `maxHeaderSize`). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** The parse needs more bytes. */
export const NEED_MORE = 0;

export interface ParsedRequest {
  method: string;
  target: string;
  /** Names and values as received (names keep their case), flat. */
  rawHeaders: string[];
  /** Offset just past the blank line ending the head. */
  headEnd: number;
  /** Connection: close was asked for. */
  close: boolean;
  /** Request body framing: Content-Length (-1 when absent) or chunked. */
  contentLength: number;
  chunked: boolean;
  /** Non-null: the fast path must hand this connection to node:http (the reason, for tests). */
  fallback: string | null;
  /** `Expect: 100-continue` (the only expectation served here): answer 100 when the body is wanted. */
  expectContinue: boolean;
}

/** Buffer's own latin1 decoder without toString()'s argument checks (not in @types/node). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);
}

const CR = 13;
const LF = 10;
const EMPTY: string[] = [];

/**
 * Offset of the first CRLFCRLF at or after `from`, or -1. A plain loop: Buffer#indexOf with a
 * string needle costs about twice as much on a head of a few hundred bytes (it is called for
 * every request and every response).
 */
export function headEnd(buf: Buffer, from: number, to = buf.length): number {
  const last = to - 3;
  for (let i = from; i < last; i++) {
    if (buf[i] === CR && buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i;
  }
  return -1;
}
const SP = 32;
const HT = 9;

/** Case-insensitive comparison of buf[at, at+lower.length) with an all-lower-case ASCII name. */
function eqLower(buf: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((buf[at + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Token list contains `tok` (lower case), comma separated, OWS around elements. */
function hasToken(value: string, tok: string): boolean {
  const v = value.toLowerCase();
  if (v === tok) return true;
  for (const part of v.split(',')) if (part.trim() === tok) return true;
  return false;
}

/** buf[from, to) holds exactly the latin1 characters of `s`. */
function sameBytes(buf: Buffer, from: number, to: number, s: string): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (buf[from + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The method as one of a few constant strings when it is a common one (no string made). */
function methodOf(buf: Buffer, from: number, to: number): string {
  const c = buf[from];
  switch (to - from) {
    case 3:
      if (c === 0x47 && sameBytes(buf, from, to, 'GET')) return 'GET';
      if (c === 0x50 && sameBytes(buf, from, to, 'PUT')) return 'PUT';
      break;
    case 4:
      if (c === 0x50 && sameBytes(buf, from, to, 'POST')) return 'POST';
      if (c === 0x48 && sameBytes(buf, from, to, 'HEAD')) return 'HEAD';
      break;
    case 5:
      if (c === 0x50 && sameBytes(buf, from, to, 'PATCH')) return 'PATCH';
      break;
    case 6:
      if (c === 0x44 && sameBytes(buf, from, to, 'DELETE')) return 'DELETE';
      break;
    case 7:
      if (c === 0x4f && sameBytes(buf, from, to, 'OPTIONS')) return 'OPTIONS';
      break;
  }
  return latin1(buf, from, to);
}

/**
 * Parse one request head starting at `start`. Returns the parsed head, NEED_MORE (0) when the
 * head is not complete yet, or an HTTP status code (400, 431, 501, 505) to answer before closing.
 *
 * `prev`, the previous request parsed on the same connection: a keep-alive client mostly repeats
 * its target and header fields, so a field whose bytes equal the previous request's at the same
 * position reuses that string (and the whole header list when every field does) instead of
 * making new ones. Those strings and lists are never modified once parsed.
 *
 * `length`: the bytes of `buf` that were read (a read buffer is larger than what one read filled).
 * `into`: an object to fill instead of making one (it may be `prev`: it is written only once the
 * head parsed, after its old values were compared); untouched when the result is not a head.
 */
export function parseRequest(
  buf: Buffer,
  start: number,
  prev: ParsedRequest | null = null,
  length = buf.length,
  into: ParsedRequest | null = null,
): ParsedRequest | number {
  // RFC 9112 §2.2: at least one empty line before the request line may be ignored.
  let p = start;
  while (p + 1 < length && buf[p] === CR && buf[p + 1] === LF && p - start < 8) p += 2;
  const end = headEnd(buf, p, length);
  if (end === -1) {
    if (length - start > MAX_HEAD_BYTES) return 431;
    // A byte that can never start a request line means garbage: refuse now, not at the timeout.
    if (p < length && TCHAR[buf[p]!] === 0 && buf[p] !== CR) return 400;
    return NEED_MORE;
  }
  if (end + 4 - start > MAX_HEAD_BYTES) return 431;

  // Request line: method SP request-target SP HTTP-version CRLF.
  const m0 = p;
  while (TCHAR[buf[p]!] === 1) p++;
  if (p === m0 || buf[p] !== SP) return 400;
  const method = methodOf(buf, m0, p);
  const t0 = ++p;
  while (buf[p]! > 0x20 && buf[p]! < 0x7f) p++;
  if (p === t0 || buf[p] !== SP) return 400;
  const target = prev !== null && sameBytes(buf, t0, p, prev.target) ? prev.target : latin1(buf, t0, p);
  p++;
  if (buf[p + 4] !== 0x2f || buf[p + 8] !== CR || buf[p + 9] !== LF) return 400;
  // The version is case-sensitive: "HTTP" exactly.
  if (buf[p] !== 0x48 || buf[p + 1] !== 0x54 || buf[p + 2] !== 0x54 || buf[p + 3] !== 0x50) return 400;
  const major = buf[p + 5]!;
  const dot = buf[p + 6]!;
  const minor = buf[p + 7]!;
  if (major < 0x30 || major > 0x39 || dot !== 0x2e || minor < 0x30 || minor > 0x39) return 400;
  if (major !== 0x31) return 505;
  const http10 = minor === 0x30;
  p += 10;

  // Fields equal to the previous request's so far are not copied into a list of this request's own
  // until one differs (then the list starts as a copy of the equal prefix).
  const prevRaw = prev === null ? EMPTY : prev.rawHeaders;
  let rawHeaders: string[] | null = null;
  let count = 0;
  let fallback: string | null = http10 ? 'http/1.0' : null;
  let close = false;
  let hosts = 0;
  let contentLength = -1;
  let te = false;
  let expects = 0;
  let expectContinue = false;
  // Header fields up to the blank line at `end`.
  while (p < end + 2) {
    const n0 = p;
    const first = buf[p]!;
    if (first === SP || first === HT) return 400; // obs-fold (or whitespace before a name)
    while (TCHAR[buf[p]!] === 1) p++;
    if (p === n0 || buf[p] !== 0x3a /* : */) return 400;
    const nameLen = p - n0;
    p++;
    while (buf[p] === SP || buf[p] === HT) p++;
    const v0 = p;
    while (VCHAR[buf[p]!] === 1) p++;
    if (buf[p] !== CR || buf[p + 1] !== LF) return 400; // a bare CR, a bare LF, or a control byte
    let v1 = p;
    while (v1 > v0 && (buf[v1 - 1] === SP || buf[v1 - 1] === HT)) v1--;
    const pn = count < prevRaw.length ? prevRaw[count]! : null;
    const name = pn !== null && sameBytes(buf, n0, n0 + nameLen, pn) ? pn : latin1(buf, n0, n0 + nameLen);
    const pv = count < prevRaw.length ? prevRaw[count + 1]! : null;
    const value = pv !== null && sameBytes(buf, v0, v1, pv) ? pv : latin1(buf, v0, v1);
    if (rawHeaders === null && (name !== pn || value !== pv)) rawHeaders = prevRaw.slice(0, count);
    if (rawHeaders !== null) rawHeaders.push(name, value);
    count += 2;
    p += 2;

    switch (nameLen) {
      case 4:
        if (eqLower(buf, n0, 'host')) hosts++;
        break;
      case 14:
        if (eqLower(buf, n0, 'content-length')) {
          if (contentLength !== -1) return 400; // repeated, even with equal values
          if (v1 === v0 || v1 - v0 > 15) return 400;
          let n = 0;
          for (let i = v0; i < v1; i++) {
            const d = buf[i]! - 0x30;
            if (d < 0 || d > 9) return 400;
            n = n * 10 + d;
          }
          contentLength = n;
        }
        break;
      case 17:
        if (eqLower(buf, n0, 'transfer-encoding')) {
          if (te) return 400;
          te = true;
          if (value.toLowerCase() !== 'chunked') return 501;
        }
        break;
      case 10:
        if (eqLower(buf, n0, 'connection')) {
          if (v1 - v0 === 10 && eqLower(buf, v0, 'keep-alive')) break;
          if (v1 - v0 === 5 && eqLower(buf, v0, 'close')) {
            close = true;
            break;
          }
          if (hasToken(value, 'close')) close = true;
          if (fallback === null && hasToken(value, 'upgrade')) fallback = 'connection: upgrade';
        }
        break;
      case 7:
        if (eqLower(buf, n0, 'upgrade')) fallback ??= 'upgrade';
        break;
      case 6:
        if (eqLower(buf, n0, 'expect')) {
          // One `100-continue` (any case) is served here; anything else goes to node:http (417).
          expects++;
          expectContinue = v1 - v0 === 12 && eqLower(buf, v0, '100-continue');
        }
        break;
      default:
        break;
    }
  }
  if (expects > 1 || (expects === 1 && !expectContinue)) {
    fallback ??= 'expect';
    expectContinue = false;
  }
  if (te && contentLength !== -1) return 400;
  if (!http10 && hosts !== 1) return 400;
  if (http10 && hosts > 1) return 400;
  if (method === 'CONNECT') fallback ??= 'connect';
  if (target.charCodeAt(0) !== 47 /* / */) fallback ??= 'target form';
  if (rawHeaders === null) rawHeaders = count === prevRaw.length && count > 0 ? prevRaw : prevRaw.slice(0, count);
  if (into === null) return { method, target, rawHeaders, headEnd: end + 4, close, contentLength, chunked: te, fallback, expectContinue };
  into.method = method;
  into.target = target;
  into.rawHeaders = rawHeaders;
  into.headEnd = end + 4;
  into.close = close;
  into.contentLength = contentLength;
  into.chunked = te;
  into.fallback = fallback;
  into.expectContinue = expectContinue;
  return into;
}

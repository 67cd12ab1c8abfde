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

/**
 * Offset of the first CRLFCRLF at or after `from`, or -1. A plain loop: Buffer#indexOf with a
 * string needle costs about twice as much on a head of a few hundred bytes (it is called for
 * every request and every response).
 */
export function headEnd(buf: Buffer, from: number): number {
  const last = buf.length - 3;
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

/**
 * Parse one request head starting at `start`. Returns the parsed head, NEED_MORE (0) when the
 * head is not complete yet, or an HTTP status code (400, 431, 501, 505) to answer before closing.
 */
export function parseRequest(buf: Buffer, start: number): ParsedRequest | number {
  // RFC 9112 §2.2: at least one empty line before the request line may be ignored.
  let p = start;
  while (p + 1 < buf.length && buf[p] === CR && buf[p + 1] === LF && p - start < 8) p += 2;
  const end = headEnd(buf, p);
  if (end === -1) {
    if (buf.length - start > MAX_HEAD_BYTES) return 431;
    // A byte that can never start a request line means garbage: refuse now, not at the timeout.
    if (p < buf.length && TCHAR[buf[p]!] === 0 && buf[p] !== CR) return 400;
    return NEED_MORE;
  }
  if (end + 4 - start > MAX_HEAD_BYTES) return 431;

  // Request line: method SP request-target SP HTTP-version CRLF.
  const m0 = p;
  while (TCHAR[buf[p]!] === 1) p++;
  if (p === m0 || buf[p] !== SP) return 400;
  const method = latin1(buf, m0, p);
  const t0 = ++p;
  while (buf[p]! > 0x20 && buf[p]! < 0x7f) p++;
  if (p === t0 || buf[p] !== SP) return 400;
  const target = latin1(buf, t0, p);
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

  const rawHeaders: string[] = [];
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
    const name = latin1(buf, n0, n0 + nameLen);
    const value = latin1(buf, v0, v1);
    rawHeaders.push(name, value);
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
  return { method, target, rawHeaders, headEnd: end + 4, close, contentLength, chunked: te, fallback, expectContinue };
}

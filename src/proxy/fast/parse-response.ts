// Strict parsing of what an upstream HTTP/1.1 server sends: the response head, and the chunked
// body framing, incrementally. The same rules as the request parser (CRLF only, no obs-fold,
// token names, no control bytes in values); conflicting Content-Length values are refused, and a
// response with both Transfer-Encoding and Content-Length is read as chunked and its connection not
// reused (RFC 9112 §6.3), so a confused upstream can never shift the framing of the next response.
import { latin1 } from './parse-request.ts';

export interface ResponseHead {
  status: number;
  reason: string;
  /** Names and values as received, flat. */
  rawHeaders: string[];
  headEnd: number;
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The connection cannot carry another request after this response. */
  close: boolean;
}

/** Largest response head accepted. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** An invalid response head. */
export const INVALID = -1;

const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const VCHAR = new Uint8Array(256);
VCHAR[0x09] = 1;
for (let c = 0x20; c <= 0x7e; c++) VCHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VCHAR[c] = 1;

function eqLower(buf: Buffer, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((buf[at + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

function lastToken(value: string): string {
  const i = value.lastIndexOf(',');
  return (i === -1 ? value : value.slice(i + 1)).trim().toLowerCase();
}

function hasToken(value: string, tok: string): boolean {
  const v = value.toLowerCase();
  if (v === tok) return true;
  for (const part of v.split(',')) if (part.trim() === tok) return true;
  return false;
}

/** Content-Length value: digits, or a list of identical digit strings; -2 when invalid. */
function contentLengthOf(v: string): number {
  let n = -2;
  for (const part of v.split(',')) {
    const s = part.trim();
    if (s.length === 0 || s.length > 15 || !/^[0-9]+$/.test(s)) return -2;
    const x = Number(s);
    if (n !== -2 && x !== n) return -2;
    n = x;
  }
  return n;
}

/** Content-Length from its bytes: plain digits read directly, lists through contentLengthOf. */
function digits(buf: Buffer, v0: number, v1: number): number {
  if (v1 === v0 || v1 - v0 > 15) return contentLengthOf(latin1(buf, v0, v1));
  let n = 0;
  for (let i = v0; i < v1; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return contentLengthOf(latin1(buf, v0, v1));
    n = n * 10 + d;
  }
  return n;
}

/** Parse a response head at `start`: the head, 0 when incomplete, INVALID when malformed. */
export function parseResponseHead(buf: Buffer, start: number): ResponseHead | number {
  const end = buf.indexOf('\r\n\r\n', start, 'latin1');
  if (end === -1) return buf.length - start > MAX_RESPONSE_HEAD ? INVALID : 0;
  if (end + 4 - start > MAX_RESPONSE_HEAD) return INVALID;
  let p = start;
  // HTTP/1.x SP 3DIGIT SP reason CRLF (a missing reason phrase is tolerated).
  if (buf[p] !== 0x48 || buf[p + 1] !== 0x54 || buf[p + 2] !== 0x54 || buf[p + 3] !== 0x50 || buf[p + 4] !== 0x2f) return INVALID;
  if (buf[p + 5] !== 0x31 || buf[p + 6] !== 0x2e || (buf[p + 7] !== 0x31 && buf[p + 7] !== 0x30) || buf[p + 8] !== 0x20) return INVALID;
  const http10 = buf[p + 7] === 0x30;
  const d0 = buf[p + 9]! - 0x30;
  const d1 = buf[p + 10]! - 0x30;
  const d2 = buf[p + 11]! - 0x30;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return INVALID;
  const status = d0 * 100 + d1 * 10 + d2;
  p += 12;
  let reason = '';
  if (buf[p] === 0x20) {
    const r0 = ++p;
    while (VCHAR[buf[p]!] === 1) p++;
    reason = latin1(buf, r0, p);
  }
  if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) return INVALID;
  p += 2;

  const rawHeaders: string[] = [];
  let contentLength = -1;
  let te: string | null = null;
  let close = http10;
  let keepAlive = false;
  while (p < end + 2) {
    const n0 = p;
    while (TCHAR[buf[p]!] === 1) p++;
    if (p === n0 || buf[p] !== 0x3a) return INVALID;
    const nameLen = p - n0;
    p++;
    while (buf[p] === 0x20 || buf[p] === 0x09) p++;
    const v0 = p;
    while (VCHAR[buf[p]!] === 1) p++;
    if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) return INVALID;
    let v1 = p;
    while (v1 > v0 && (buf[v1 - 1] === 0x20 || buf[v1 - 1] === 0x09)) v1--;
    const name = latin1(buf, n0, n0 + nameLen);
    const value = latin1(buf, v0, v1);
    rawHeaders.push(name, value);
    p += 2;
    if (nameLen === 14 && eqLower(buf, n0, 'content-length')) {
      const n = digits(buf, v0, v1);
      if (n === -2 || (contentLength !== -1 && n !== contentLength)) return INVALID;
      contentLength = n;
    } else if (nameLen === 17 && eqLower(buf, n0, 'transfer-encoding')) {
      te = te === null ? value : `${te}, ${value}`;
    } else if (nameLen === 10 && eqLower(buf, n0, 'connection')) {
      // The usual values without allocating; token lists the slow way.
      if (v1 - v0 === 10 && eqLower(buf, v0, 'keep-alive')) keepAlive = true;
      else if (v1 - v0 === 5 && eqLower(buf, v0, 'close')) close = true;
      else {
        if (hasToken(value, 'close')) close = true;
        if (hasToken(value, 'keep-alive')) keepAlive = true;
      }
    }
  }
  if (http10 && keepAlive && !close) close = false;
  let chunked = false;
  if (te !== null) {
    // Chunked last: chunked framing. Anything else: the body runs to the end of the connection.
    chunked = lastToken(te) === 'chunked';
    if (contentLength !== -1 || !chunked) close = true;
    contentLength = -1;
  }
  return { status, reason, rawHeaders, headEnd: end + 4, contentLength, chunked, close };
}

// --- chunked body decoding -------------------------------------------------------------------

const S_SIZE = 0;
const S_SIZE_WS = 1;
const S_EXT = 2;
const S_SIZE_LF = 3;
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER = 7;
const S_DONE = 8;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}

/** Incremental chunked decoder. `feed` hands data segments to `onData` and stops when it asks to. */
export class ChunkedDecoder {
  state = S_SIZE;
  private size = 0;
  private digits = 0;
  /** Bytes of the current trailer section (bounded). */
  private trailerBytes = 0;
  private trailerLine: number[] = [];
  trailers: string[] | null = null;

  get done(): boolean {
    return this.state === S_DONE;
  }

  /**
   * Decode from buf[at]. Returns the offset reached; -1 on a framing error. Stops early (returning
   * the offset after the segment delivered) when `onData` returns false, or at the end of the body.
   */
  feed(buf: Buffer, at: number, onData: (chunk: Buffer) => boolean): number {
    let p = at;
    const len = buf.length;
    while (p < len) {
      const b = buf[p]!;
      switch (this.state) {
        case S_SIZE: {
          const h = HEX[b]!;
          if (h >= 0) {
            if (++this.digits > 12) return -1;
            this.size = this.size * 16 + h;
            p++;
          } else if (this.digits === 0) {
            return -1;
          } else if (b === 0x0d) {
            this.state = S_SIZE_LF;
            p++;
          } else if (b === 0x3b /* ; */) {
            this.state = S_EXT;
            p++;
          } else if (b === 0x20 || b === 0x09) {
            this.state = S_SIZE_WS;
            p++;
          } else return -1;
          break;
        }
        case S_SIZE_WS:
          if (b === 0x20 || b === 0x09) p++;
          else if (b === 0x3b) {
            this.state = S_EXT;
            p++;
          } else return -1;
          break;
        case S_EXT:
          if (b === 0x0d) this.state = S_SIZE_LF;
          else if (VCHAR[b] !== 1) return -1;
          p++;
          break;
        case S_SIZE_LF:
          if (b !== 0x0a) return -1;
          p++;
          this.digits = 0;
          if (this.size === 0) {
            this.state = S_TRAILER;
          } else {
            this.state = S_DATA;
          }
          break;
        case S_DATA: {
          const n = Math.min(this.size, len - p);
          this.size -= n;
          const more = onData(buf.subarray(p, p + n));
          p += n;
          if (this.size === 0) this.state = S_DATA_CR;
          if (!more) return p;
          break;
        }
        case S_DATA_CR:
          if (b !== 0x0d) return -1;
          this.state = S_DATA_LF;
          p++;
          break;
        case S_DATA_LF:
          if (b !== 0x0a) return -1;
          this.state = S_SIZE;
          this.size = 0;
          p++;
          break;
        case S_TRAILER: {
          // Trailer lines end at CRLF; the empty line ends the body.
          if (++this.trailerBytes > 16 * 1024) return -1;
          p++;
          const line = this.trailerLine;
          if (b === 0x0a) {
            if (line.length === 0 || line[line.length - 1] !== 0x0d) return -1;
            line.pop();
            if (line.length === 0) {
              this.state = S_DONE;
              return p;
            }
            const ok = this.addTrailer(Buffer.from(line));
            line.length = 0;
            if (!ok) return -1;
          } else {
            if (b === 0x0d && line[line.length - 1] === 0x0d) return -1;
            line.push(b);
          }
          break;
        }
        default:
          return p;
      }
    }
    return p;
  }

  private addTrailer(line: Buffer): boolean {
    const colon = line.indexOf(0x3a);
    if (colon <= 0) return false;
    for (let i = 0; i < colon; i++) if (TCHAR[line[i]!] !== 1) return false;
    let v0 = colon + 1;
    let v1 = line.length;
    for (let i = v0; i < v1; i++) if (VCHAR[line[i]!] !== 1) return false;
    while (v0 < v1 && (line[v0] === 0x20 || line[v0] === 0x09)) v0++;
    while (v1 > v0 && (line[v1 - 1] === 0x20 || line[v1 - 1] === 0x09)) v1--;
    (this.trailers ??= []).push(line.toString('latin1', 0, colon), line.toString('latin1', v0, v1));
    return true;
  }
}

// Strict parsing of what an upstream HTTP/1.1 server sends: the response head, and the chunked
// body framing, incrementally. The same rules as the request parser (CRLF only, no obs-fold,
// token names, no control bytes in values); conflicting Content-Length values are refused, and a
// response with both Transfer-Encoding and Content-Length is read as chunked and its connection not
// reused (RFC 9112 §6.3), so a confused upstream can never shift the framing of the next response.
import { Buffer } from 'node:buffer';
import { TCHAR, VCHAR } from './byte-classes.ts';
import { headEnd, latin1 } from './parse-request.ts';

/**
 * A parsed response head. Header names and values are kept as offsets into the bytes parsed and
 * become strings only when asked for (`rawHeaders`, `reason`), so a response relayed as bytes
 * (see FastResponse.relayHead) costs no string per header. The getters read `buf`: ask before the
 * bytes are reused (the fast pool's reads land in one shared buffer).
 */
export class ResponseHead {
  status = 0;
  headEnd = 0;
  /** -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** The connection cannot carry another request after this response. */
  close = false;
  buf: Buffer = EMPTY;
  /** Offset of the status code (the status line from there on is relayed as is). */
  statusAt = 0;
  reasonStart = 0;
  reasonEnd = 0;
  /**
   * Per field: name start, name end, value start, value end (value trimmed); `fieldsLength`
   * entries are in use (the arrays are reused, never shrunk).
   */
  readonly fields: number[] = [];
  fieldsLength = 0;
  /** Byte ranges [from, to) of whole header lines that a proxy passes on (hop-by-hop ones left out), adjacent ones merged; `keptLength` entries. */
  readonly kept: number[] = [];
  keptLength = 0;
  /** Some Connection header names other fields (to drop too): relaying needs the string path. */
  connectionTokens = false;
  /**
   * A kept line is not written `Name: value` with exactly one space and nothing trailing: relayed
   * as is it would differ from the string path's output, so it takes that path.
   */
  untidy = false;
  hasDate = false;
  /**
   * Seconds from a `Keep-Alive: timeout=N` field (how long the server keeps an idle connection
   * open), or -1 when the response has none.
   */
  keepAliveTimeoutS = -1;
  /** A Content-Length line is among the kept ones (even when Transfer-Encoding frames the body). */
  hasContentLength = false;
  private raw: string[] | null = null;

  /** Ready for a new parse (a connection reuses one head object for all its responses). */
  reset(buf: Buffer, statusAt: number): void {
    this.buf = buf;
    this.statusAt = statusAt;
    this.status = 0;
    this.headEnd = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.close = false;
    this.reasonStart = 0;
    this.reasonEnd = 0;
    this.fieldsLength = 0;
    this.keptLength = 0;
    this.connectionTokens = false;
    this.untidy = false;
    this.hasDate = false;
    this.keepAliveTimeoutS = -1;
    this.hasContentLength = false;
    this.raw = null;
  }

  get reason(): string {
    return this.reasonEnd > this.reasonStart ? latin1(this.buf, this.reasonStart, this.reasonEnd) : '';
  }

  /** Names and values as received, flat. */
  get rawHeaders(): string[] {
    let raw = this.raw;
    if (raw === null) {
      const f = this.fields;
      const n = this.fieldsLength;
      raw = new Array<string>(n >> 1);
      for (let i = 0; i < n; i += 4) {
        raw[i >> 1] = latin1(this.buf, f[i]!, f[i + 1]!);
        raw[(i >> 1) + 1] = latin1(this.buf, f[i + 2]!, f[i + 3]!);
      }
      this.raw = raw;
    }
    return raw;
  }
}

/** Largest response head accepted. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** An invalid response head. */
export const INVALID = -1;

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

/**
 * The `timeout` parameter of a Keep-Alive field value (`timeout=5, max=1000`: RFC 2068 §19.7.1.1,
 * still sent by Node's server and others), read from the bytes; -1 when absent or not digits.
 */
function timeoutParam(buf: Buffer, v0: number, v1: number): number {
  let p = v0;
  while (p < v1) {
    while (p < v1 && (buf[p] === 0x20 || buf[p] === 0x09 || buf[p] === 0x2c)) p++;
    if (v1 - p > 8 && eqLower(buf, p, 'timeout') && buf[p + 7] === 0x3d) {
      let n = 0;
      let q = p + 8;
      for (; q < v1 && q - p < 17; q++) {
        const d = buf[q]! - 0x30;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
      }
      return q > p + 8 && (q === v1 || buf[q] === 0x2c || buf[q] === 0x20 || buf[q] === 0x09) ? n : -1;
    }
    while (p < v1 && buf[p] !== 0x2c) p++;
  }
  return -1;
}

/**
 * Parse a response head at `start`: the head, 0 when incomplete, INVALID when malformed. With
 * `into`, that object is reset and filled instead of a new one (its earlier contents are gone).
 * `length`: the bytes of `buf` that hold data (a read buffer is larger than one read).
 */
export function parseResponseHead(buf: Buffer, start: number, into?: ResponseHead, length = buf.length): ResponseHead | number {
  const end = headEnd(buf, start, length);
  if (end === -1) return length - start > MAX_RESPONSE_HEAD ? INVALID : 0;
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
  const head = into ?? new ResponseHead();
  head.reset(buf, p + 9);
  head.status = d0 * 100 + d1 * 10 + d2;
  p += 12;
  if (buf[p] === 0x20) {
    head.reasonStart = ++p;
    while (VCHAR[buf[p]!] === 1) p++;
    head.reasonEnd = p;
  }
  if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) return INVALID;
  p += 2;

  const fields = head.fields;
  const kept = head.kept;
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
    const f = head.fieldsLength;
    fields[f] = n0;
    fields[f + 1] = n0 + nameLen;
    fields[f + 2] = v0;
    fields[f + 3] = v1;
    head.fieldsLength = f + 4;
    p += 2;
    let hop = false;
    if (nameLen === 14 && eqLower(buf, n0, 'content-length')) {
      const n = digits(buf, v0, v1);
      if (n === -2 || (contentLength !== -1 && n !== contentLength)) return INVALID;
      contentLength = n;
      head.hasContentLength = true;
    } else if (nameLen === 17 && eqLower(buf, n0, 'transfer-encoding')) {
      const value = latin1(buf, v0, v1);
      te = te === null ? value : `${te}, ${value}`;
      hop = true;
    } else if (nameLen === 10 && eqLower(buf, n0, 'connection')) {
      hop = true;
      // The usual values without allocating; token lists the slow way.
      if (v1 - v0 === 10 && eqLower(buf, v0, 'keep-alive')) keepAlive = true;
      else if (v1 - v0 === 5 && eqLower(buf, v0, 'close')) close = true;
      else {
        const value = latin1(buf, v0, v1);
        if (hasToken(value, 'close')) close = true;
        if (hasToken(value, 'keep-alive')) keepAlive = true;
        head.connectionTokens = true;
      }
    } else if (nameLen === 4 && eqLower(buf, n0, 'date')) {
      head.hasDate = true;
    } else {
      // The other hop-by-hop fields (RFC 9110 §7.6.1; headers.ts drops the same on the string path).
      const keepAliveField = nameLen === 10 && eqLower(buf, n0, 'keep-alive');
      if (keepAliveField) head.keepAliveTimeoutS = timeoutParam(buf, v0, v1);
      hop =
        keepAliveField ||
        (nameLen === 16 && eqLower(buf, n0, 'proxy-connection')) ||
        (nameLen === 2 && eqLower(buf, n0, 'te')) ||
        (nameLen === 7 && eqLower(buf, n0, 'upgrade'));
    }
    if (!hop) {
      if (v0 !== n0 + nameLen + 2 || buf[v0 - 1] !== 0x20 || v1 !== p - 2) head.untidy = true;
      const k = head.keptLength;
      if (k > 0 && kept[k - 1] === n0) kept[k - 1] = p;
      else {
        kept[k] = n0;
        kept[k + 1] = p;
        head.keptLength = k + 2;
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
  head.headEnd = end + 4;
  head.contentLength = contentLength;
  head.chunked = chunked;
  head.close = close;
  return head;
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

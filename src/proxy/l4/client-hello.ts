// Reads the TLS ClientHello at the start of a TCP stream, without terminating TLS, to learn the
// SNI server name (which picks the listener and route) and the ALPN protocols offered.
//
// Strict: the bytes must be handshake records (RFC 8446 §5.1) carrying a ClientHello
// (§4.1.2) whose length fields all agree; anything else is an error, so a non-TLS client on a TLS
// port is rejected at once instead of waiting for bytes that never come. Allocation-light: the
// usual case (the whole hello in the first read) is parsed in place; a hello split across reads
// goes into one buffer that grows by doubling; a hello split across records is copied once.
// Bounded: a handshake message over 16 KiB, or more than MAX_RECORDS records, is an error.

/** Largest ClientHello handshake message accepted (4-byte header + body). */
export const MAX_HELLO_BYTES = 16384;
/** Largest number of records the hello may be spread over. */
export const MAX_RECORDS = 32;
/** Most bytes buffered while waiting for the rest of a hello. */
export const MAX_BUFFERED = MAX_HELLO_BYTES + MAX_RECORDS * 5;

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const MAX_RECORD_PAYLOAD = 16384; // 2^14, RFC 8446 §5.1

export interface ClientHello {
  /** SNI host_name, lower case. Absent when the client sent no server_name extension. */
  sni?: string;
  /** ALPN protocol names in the client's order. Absent without an ALPN extension. */
  alpn?: string[];
}

export type HelloErrorCode = 'not-tls' | 'malformed' | 'too-large';

export type HelloResult =
  | { kind: 'hello'; hello: ClientHello }
  | { kind: 'more' }
  | { kind: 'error'; code: HelloErrorCode; reason: string };

const MORE: HelloResult = Object.freeze({ kind: 'more' });

function fail(code: HelloErrorCode, reason: string): HelloResult {
  return { kind: 'error', code, reason };
}

/**
 * Parses a ClientHello from the first bytes of a stream. `more` means the bytes so far are a valid
 * prefix and more are needed; bytes after the hello (if any) are ignored.
 */
export function parseClientHello(buf: Uint8Array): HelloResult {
  const len = buf.length;
  if (len === 0) return MORE;
  if (buf[0] !== RECORD_HANDSHAKE) {
    return fail('not-tls', `first byte 0x${hex(buf[0]!)} is not a TLS handshake record (0x16)`);
  }
  // Walk complete records, keeping where each fragment of the handshake message lies.
  let off = 0;
  let records = 0;
  let have = 0; // handshake bytes in complete records
  let total = -1; // 4 + handshake body length, once known
  const starts: number[] = [];
  const ends: number[] = [];
  for (;;) {
    if (records === MAX_RECORDS) return fail('too-large', `ClientHello spread over more than ${MAX_RECORDS} records`);
    // Check the record header bytes as soon as they arrive.
    if (off + 1 <= len && buf[off] !== RECORD_HANDSHAKE) {
      return fail('malformed', `record ${records + 1} has content type 0x${hex(buf[off]!)} before the ClientHello ended`);
    }
    if (off + 2 <= len && buf[off + 1] !== 0x03) {
      return fail(records === 0 ? 'not-tls' : 'malformed', `record version major byte 0x${hex(buf[off + 1]!)} is not 0x03`);
    }
    if (off + 3 <= len && buf[off + 2]! > 0x04) {
      return fail(records === 0 ? 'not-tls' : 'malformed', `record version 3.${buf[off + 2]} is not a TLS version`);
    }
    if (off + 5 > len) return early(buf, starts, ends);
    const rlen = (buf[off + 3]! << 8) | buf[off + 4]!;
    if (rlen === 0) return fail('malformed', `record ${records + 1} is an empty handshake record`);
    if (rlen > MAX_RECORD_PAYLOAD) return fail('malformed', `record ${records + 1} length ${rlen} exceeds 16384`);
    const start = off + 5;
    const end = start + rlen;
    if (end > len) {
      // Partial record: still check what has arrived of the handshake header.
      starts.push(start);
      ends.push(len);
      return early(buf, starts, ends);
    }
    starts.push(start);
    ends.push(end);
    records++;
    have += rlen;
    if (total < 0 && have >= 4) {
      const head = headerBytes(buf, starts, ends);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) {
        return fail('malformed', `handshake message type ${head[0]} is not ClientHello (1)`);
      }
      total = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (total > MAX_HELLO_BYTES) return fail('too-large', `ClientHello of ${total} bytes exceeds ${MAX_HELLO_BYTES}`);
    }
    if (total >= 0 && have >= total) break;
    off = end;
  }
  if (starts.length === 1) return parseBody(buf, starts[0]! + 4, starts[0]! + total);
  // Spread over several records: join the fragments once.
  const joined = Buffer.allocUnsafe(total);
  let w = 0;
  for (let i = 0; i < starts.length && w < total; i++) {
    const n = Math.min(ends[i]! - starts[i]!, total - w);
    joined.set(buf.subarray(starts[i]!, starts[i]! + n), w);
    w += n;
  }
  return parseBody(joined, 4, total);
}

/** With the hello incomplete: reject early what the handshake header already rules out. */
function early(buf: Uint8Array, starts: number[], ends: number[]): HelloResult {
  let have = 0;
  for (let i = 0; i < starts.length; i++) have += ends[i]! - starts[i]!;
  if (have === 0) return MORE;
  const head = headerBytes(buf, starts, ends);
  if (head[0] !== HANDSHAKE_CLIENT_HELLO) return fail('malformed', `handshake message type ${head[0]} is not ClientHello (1)`);
  if (head.length >= 4) {
    const total = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
    if (total > MAX_HELLO_BYTES) return fail('too-large', `ClientHello of ${total} bytes exceeds ${MAX_HELLO_BYTES}`);
  }
  return MORE;
}

/** Up to the first 4 handshake bytes, gathered across fragments. */
function headerBytes(buf: Uint8Array, starts: number[], ends: number[]): number[] {
  const head: number[] = [];
  for (let i = 0; i < starts.length && head.length < 4; i++) {
    for (let p = starts[i]!; p < ends[i]! && head.length < 4; p++) head.push(buf[p]!);
  }
  return head;
}

/** Parses the ClientHello body in buf[p, end). */
function parseBody(buf: Uint8Array, p: number, end: number): HelloResult {
  // legacy_version (2) + random (32)
  if (p + 34 > end) return fail('malformed', 'ClientHello shorter than version and random');
  if (buf[p] !== 0x03) return fail('malformed', `ClientHello version major byte 0x${hex(buf[p]!)} is not 0x03`);
  p += 34;
  // legacy_session_id <0..32>
  if (p + 1 > end) return fail('malformed', 'ClientHello truncated before session id');
  const sidLen = buf[p]!;
  if (sidLen > 32) return fail('malformed', `session id length ${sidLen} exceeds 32`);
  p += 1 + sidLen;
  // cipher_suites <2..2^16-2>
  if (p + 2 > end) return fail('malformed', 'ClientHello truncated before cipher suites');
  const csLen = u16(buf, p);
  if (csLen < 2 || csLen % 2 !== 0) return fail('malformed', `cipher suites length ${csLen} is not a positive even number`);
  p += 2 + csLen;
  // legacy_compression_methods <1..2^8-1>
  if (p + 1 > end) return fail('malformed', 'ClientHello truncated before compression methods');
  const compLen = buf[p]!;
  if (compLen < 1) return fail('malformed', 'no compression methods');
  p += 1 + compLen;
  if (p > end) return fail('malformed', 'ClientHello truncated in compression methods');
  if (p === end) return { kind: 'hello', hello: {} }; // TLS 1.2 without extensions
  if (p + 2 > end) return fail('malformed', 'ClientHello truncated in extensions length');
  const extLen = u16(buf, p);
  p += 2;
  if (p + extLen !== end) {
    return fail('malformed', `extensions length ${extLen} does not match the ${end - p} bytes left in the ClientHello`);
  }
  const hello: ClientHello = {};
  const seen = new Set<number>();
  while (p < end) {
    if (p + 4 > end) return fail('malformed', 'extension header truncated');
    const type = u16(buf, p);
    const dlen = u16(buf, p + 2);
    p += 4;
    if (p + dlen > end) return fail('malformed', `extension ${type} length ${dlen} overruns the extensions block`);
    if (seen.has(type)) return fail('malformed', `extension ${type} appears twice`);
    seen.add(type);
    if (type === EXT_SERVER_NAME) {
      const r = parseServerName(buf, p, p + dlen);
      if (typeof r !== 'string' && r !== undefined) return r;
      if (r !== undefined) hello.sni = r;
    } else if (type === EXT_ALPN) {
      const r = parseAlpn(buf, p, p + dlen);
      if (!Array.isArray(r)) return r;
      hello.alpn = r;
    }
    p += dlen;
  }
  return { kind: 'hello', hello };
}

/** server_name extension (RFC 6066 §3): the host_name entry, validated and lower-cased. */
function parseServerName(buf: Uint8Array, p: number, end: number): string | undefined | HelloResult {
  if (p + 2 > end) return fail('malformed', 'server_name extension is empty');
  const listLen = u16(buf, p);
  p += 2;
  if (listLen === 0 || p + listLen !== end) return fail('malformed', `server_name list length ${listLen} does not match the extension`);
  let name: string | undefined;
  while (p < end) {
    if (p + 3 > end) return fail('malformed', 'server_name entry truncated');
    const nameType = buf[p]!;
    const nlen = u16(buf, p + 1);
    p += 3;
    if (nlen === 0 || p + nlen > end) return fail('malformed', `server_name entry length ${nlen} is invalid`);
    if (nameType === 0) {
      if (name !== undefined) return fail('malformed', 'server_name holds two host_name entries');
      const host = hostName(buf, p, p + nlen);
      if (host === undefined) return fail('malformed', 'server_name host_name is not a valid DNS name');
      name = host;
    }
    p += nlen;
  }
  return name;
}

/** ASCII letters, digits, '-', '_' in non-empty dot-separated labels; lower-cased. */
function hostName(buf: Uint8Array, p: number, end: number): string | undefined {
  if (end - p > 255) return undefined;
  let out = '';
  let labelLen = 0;
  for (let i = p; i < end; i++) {
    let c = buf[i]!;
    if (c === 0x2e) {
      if (labelLen === 0) return undefined;
      labelLen = 0;
    } else {
      const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;
      if (!ok) return undefined;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (++labelLen > 63) return undefined;
    }
    out += String.fromCharCode(c);
  }
  return labelLen === 0 ? undefined : out; // a trailing dot is not allowed (RFC 6066 §3)
}

/** ALPN extension (RFC 7301 §3.1): non-empty list of non-empty protocol names. */
function parseAlpn(buf: Uint8Array, p: number, end: number): string[] | HelloResult {
  if (p + 2 > end) return fail('malformed', 'ALPN extension is empty');
  const listLen = u16(buf, p);
  p += 2;
  if (listLen < 2 || p + listLen !== end) return fail('malformed', `ALPN list length ${listLen} does not match the extension`);
  const protocols: string[] = [];
  while (p < end) {
    const n = buf[p]!;
    p += 1;
    if (n === 0 || p + n > end) return fail('malformed', `ALPN protocol name length ${n} is invalid`);
    protocols.push(latin1(buf, p, p + n));
    p += n;
  }
  return protocols;
}

function latin1(buf: Uint8Array, p: number, end: number): string {
  let s = '';
  for (let i = p; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function u16(buf: Uint8Array, p: number): number {
  return (buf[p]! << 8) | buf[p + 1]!;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Accumulates the first reads of a connection until a ClientHello is complete. Keeps every byte
 * read, so the caller can replay them (to a backend, or back into the socket with unshift).
 */
export class ClientHelloReader {
  private buf: Buffer | null = null;
  private len = 0;
  /** True when `buf` is the caller's first chunk (not ours to write into). */
  private borrowed = false;

  push(chunk: Buffer): HelloResult {
    if (this.buf === null) {
      this.buf = chunk;
      this.len = chunk.length;
      this.borrowed = true;
    } else {
      const need = this.len + chunk.length;
      if (this.borrowed || need > this.buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * need, MAX_BUFFERED), 1024));
        this.buf.copy(grown, 0, 0, this.len);
        this.buf = grown;
        this.borrowed = false;
      }
      chunk.copy(this.buf, this.len);
      this.len = need;
    }
    const r = parseClientHello(this.buf.subarray(0, this.len));
    if (r.kind === 'more' && this.len >= MAX_BUFFERED) {
      return fail('too-large', `no complete ClientHello in the first ${this.len} bytes`);
    }
    return r;
  }

  /** Every byte pushed so far, in order. */
  bytes(): Buffer {
    return this.buf === null ? Buffer.alloc(0) : this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }
}

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ClientHelloReader, MAX_BUFFERED, parseClientHello, type HelloResult } from '../../../src/proxy/l4/client-hello.ts';
import { captureClientHello } from './helpers.ts';

/** Re-frames a single-record hello into records carrying `sizes` bytes of handshake each. */
function reRecord(hello: Buffer, sizes: number[]): Buffer {
  const hs = hello.subarray(5);
  const out: Buffer[] = [];
  let p = 0;
  for (const n of sizes) {
    const frag = hs.subarray(p, p + n);
    const head = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    head.writeUInt16BE(frag.length, 3);
    out.push(head, frag);
    p += n;
  }
  assert.equal(p, hs.length, 'sizes must cover the handshake');
  return Buffer.concat(out);
}

function expectHello(r: HelloResult): { sni?: string; alpn?: string[] } {
  assert.equal(r.kind, 'hello', JSON.stringify(r));
  return (r as { hello: { sni?: string; alpn?: string[] } }).hello;
}

describe('ClientHello parser', () => {
  let hello: Buffer; // TLS 1.3 client, SNI + ALPN
  let hello12: Buffer; // TLS 1.2 max, no SNI (connecting to an IP address)

  before(async () => {
    hello = await captureClientHello({ servername: 'Backend.Example.COM', ALPNProtocols: ['h2', 'http/1.1'] });
    hello12 = await captureClientHello({ maxVersion: 'TLSv1.2' });
  });

  it('reads SNI (lower-cased) and ALPN from a real node:tls ClientHello', () => {
    const h = expectHello(parseClientHello(hello));
    assert.equal(h.sni, 'backend.example.com');
    assert.deepEqual(h.alpn, ['h2', 'http/1.1']);
  });

  it('reads a hello without SNI or ALPN', () => {
    const h = expectHello(parseClientHello(hello12));
    assert.equal(h.sni, undefined);
    assert.equal(h.alpn, undefined);
  });

  it('asks for more bytes at every truncation point, and finds the hello at every split into two reads', () => {
    for (let i = 0; i < hello.length; i++) {
      assert.equal(parseClientHello(hello.subarray(0, i)).kind, 'more', `prefix of ${i} bytes`);
      const reader = new ClientHelloReader();
      const first = reader.push(Buffer.from(hello.subarray(0, i)));
      assert.equal(first.kind, 'more', `first read of ${i} bytes`);
      const h = expectHello(reader.push(Buffer.from(hello.subarray(i))));
      assert.equal(h.sni, 'backend.example.com');
      assert.deepEqual(reader.bytes(), hello, 'keeps every byte for replay');
    }
  });

  it('finds the hello when it arrives one byte per read', () => {
    const reader = new ClientHelloReader();
    let r: HelloResult = { kind: 'more' };
    for (let i = 0; i < hello.length; i++) {
      assert.equal(r.kind, 'more');
      r = reader.push(hello.subarray(i, i + 1));
    }
    assert.equal(expectHello(r).sni, 'backend.example.com');
  });

  it('reassembles a hello split across several TLS records, at every split point', () => {
    const hsLen = hello.length - 5;
    for (let cut = 1; cut < hsLen; cut++) {
      const framed = reRecord(hello, [cut, hsLen - cut]);
      const h = expectHello(parseClientHello(framed));
      assert.equal(h.sni, 'backend.example.com', `records of ${cut} + ${hsLen - cut}`);
      // ... and split across reads too (inside the second record header)
      const reader = new ClientHelloReader();
      assert.equal(reader.push(framed.subarray(0, cut + 7)).kind, 'more');
      assert.equal(expectHello(reader.push(framed.subarray(cut + 7))).sni, 'backend.example.com');
    }
    const three = reRecord(hello, [2, 100, hsLen - 102]);
    assert.deepEqual(expectHello(parseClientHello(three)).alpn, ['h2', 'http/1.1']);
  });

  it('rejects non-TLS input at once', () => {
    for (const text of ['GET / HTTP/1.1\r\n', 'SSH-2.0-OpenSSH', '\x00', 'P']) {
      const r = parseClientHello(Buffer.from(text));
      assert.equal(r.kind, 'error', text);
      assert.equal((r as { code: string }).code, 'not-tls');
    }
    // handshake byte but not a TLS version
    assert.equal((parseClientHello(Buffer.from([0x16, 0x02])) as { code?: string }).code, 'not-tls');
    assert.equal((parseClientHello(Buffer.from([0x16, 0x03, 0x09])) as { code?: string }).code, 'not-tls');
  });

  it('rejects malformed records and hellos', () => {
    const bad = (b: Buffer, why: string) => {
      const r = parseClientHello(b);
      assert.equal(r.kind, 'error', `${why}: ${JSON.stringify(r)}`);
    };
    bad(Buffer.from([0x16, 3, 1, 0, 0]), 'empty record');
    bad(Buffer.from([0x16, 3, 1, 0x40, 0x01]), 'record over 2^14');
    const notHello = Buffer.from(hello);
    notHello[5] = 0x02; // ServerHello
    bad(notHello, 'handshake type');
    bad(Buffer.from([0x16, 3, 1, 0, 4, 1, 0, 0x40, 0x01]), 'hello over 16 KiB');
    // Corrupt the extensions length: lengths no longer agree.
    const extLenAt = extensionsOffset(hello);
    const skewed = Buffer.from(hello);
    skewed.writeUInt16BE(skewed.readUInt16BE(extLenAt) - 1, extLenAt);
    bad(skewed, 'extensions length');
    // A second record of another content type in the middle of the hello.
    const framed = reRecord(hello, [10, hello.length - 15]);
    framed[15] = 0x17;
    bad(framed, 'interleaved application data');
    // SNI with a byte that is not allowed in a DNS name.
    const sniAt = hello.indexOf(Buffer.from('ackend'));
    assert.ok(sniAt > 0);
    const badName = Buffer.from(hello);
    badName[sniAt] = 0x20;
    bad(badName, 'space in SNI');
  });

  it('never throws on corrupted bytes (every single-byte change of a real hello)', () => {
    for (let i = 0; i < hello.length; i++) {
      for (const v of [0x00, 0xff, hello[i]! ^ 0x01]) {
        const b = Buffer.from(hello);
        b[i] = v;
        const r = parseClientHello(b);
        assert.ok(['hello', 'more', 'error'].includes(r.kind));
      }
    }
    // random garbage behind a plausible header
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let n = 0; n < 300; n++) {
      const b = Buffer.alloc(5 + (n % 200));
      for (let i = 0; i < b.length; i++) b[i] = rnd();
      b[0] = 0x16;
      b[1] = 3;
      b[2] = 1;
      const r = parseClientHello(b);
      assert.ok(['more', 'error'].includes(r.kind), 'garbage is never a hello');
    }
  });

  it('bounds buffering: a hello that never completes is an error after MAX_BUFFERED bytes', () => {
    const reader = new ClientHelloReader();
    // 32 records of 1 handshake byte each after a header promising a 16000-byte hello
    const head = Buffer.from([0x16, 3, 1, 0, 4, 1, 0, 0x3e, 0x80]);
    let r = reader.push(head);
    for (let i = 0; i < 40 && r.kind === 'more'; i++) r = reader.push(Buffer.from([0x16, 3, 1, 0, 1, 0]));
    assert.equal(r.kind, 'error');
    assert.ok(reader.length <= MAX_BUFFERED);
  });
});

/** Offset of the extensions length field in a single-record ClientHello. */
function extensionsOffset(h: Buffer): number {
  let p = 5 + 4 + 34;
  p += 1 + h[p]!;
  p += 2 + h.readUInt16BE(p);
  p += 1 + h[p]!;
  return p;
}

// The strict parsers of the fast path, in isolation: what RFC 9112 forbids is refused, every
// request-smuggling vector we know is refused (never "repaired"), and a head split at any byte
// boundary parses exactly like the whole head.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headEnd, NEED_MORE, parseRequest, type ParsedRequest } from '../../../src/proxy/fast/parse-request.ts';
import { ChunkedDecoder, INVALID, parseResponseHead, type ResponseHead } from '../../../src/proxy/fast/parse-response.ts';

function req(s: string): ParsedRequest | number {
  return parseRequest(Buffer.from(s, 'latin1'), 0);
}

function ok(s: string): ParsedRequest {
  const r = req(s);
  assert.equal(typeof r, 'object', `expected a parse of ${JSON.stringify(s)}, got ${String(r)}`);
  return r as ParsedRequest;
}

describe('head end', () => {
  test('the first CRLFCRLF at or after the start, as Buffer#indexOf finds it', () => {
    const cases = ['', '\r\n\r', '\r\n\r\n', 'a\r\n\r\n', 'a\r\r\n\r\nb\r\n\r\n', 'a\n\r\n\r\n', 'x\r\n\rx\n\r\n', 'ab\r\n\r\n\r\n\r\n'];
    for (const c of cases) {
      const b = Buffer.from(c, 'latin1');
      for (let from = 0; from <= b.length; from++) {
        assert.equal(headEnd(b, from), b.indexOf('\r\n\r\n', from, 'latin1'), `${JSON.stringify(c)} from ${from}`);
      }
    }
  });
});

describe('request heads', () => {
  test('a plain GET', () => {
    const r = ok('GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-A:  spaced value \t\r\n\r\n');
    assert.equal(r.method, 'GET');
    assert.equal(r.target, '/a?b=c');
    assert.deepEqual(r.rawHeaders, ['Host', 'example.com', 'X-A', 'spaced value']);
    assert.equal(r.fallback, null);
    assert.equal(r.close, false);
  });

  test('leading empty lines are ignored; Connection: close is seen', () => {
    const r = ok('\r\nGET / HTTP/1.1\r\nhost: x\r\nConnection: Keep-Alive, Close\r\n\r\n');
    assert.equal(r.close, true);
  });

  test('incomplete heads need more bytes', () => {
    assert.equal(req('GET / HTTP/1.1\r\nHost: x\r\n'), NEED_MORE);
    assert.equal(req('GE'), NEED_MORE);
  });

  const refused: [string, string, number][] = [
    ['bare LF line ends', 'GET / HTTP/1.1\nHost: x\n\n\r\n\r\n', 400],
    ['bare LF inside a header block', 'GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n', 400],
    ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n', 400],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 400],
    ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n', 400],
    ['whitespace before the first header', 'GET / HTTP/1.1\r\n Host: x\r\n\r\n', 400],
    ['invalid name character', 'GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n', 400],
    ['empty name', 'GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n\r\n', 400],
    ['NUL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n', 400],
    ['DEL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n', 400],
    ['two Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', 400],
    ['equal Content-Length twice', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', 400],
    ['Content-Length list', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n', 400],
    ['signed Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n', 400],
    ['hex Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n', 400],
    ['empty Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n', 400],
    ['huge Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n', 400],
    ['Transfer-Encoding with Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n', 400],
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['Transfer-Encoding twice', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['Transfer-Encoding not chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
    ['Transfer-Encoding chunked then identity', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n', 501],
    ['Transfer-Encoding with a trailing junk', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n', 501],
    ['no Host', 'GET / HTTP/1.1\r\nX: y\r\n\r\n', 400],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['non-ASCII in the target', 'GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['lower-case version', 'GET / http/1.1\r\nHost: x\r\n\r\n', 400],
    ['version HTTP/2.0', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505],
    ['trailing junk after the version', 'GET / HTTP/1.1x\r\nHost: x\r\n\r\n', 400],
    ['invalid method character', 'G(T / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  ];
  for (const [what, s, status] of refused) {
    test(`refused: ${what} → ${status}`, () => assert.equal(req(s), status));
  }

  test('garbage is refused before the head completes', () => {
    assert.equal(req('\x16\x03\x01\x02\x00'), 400);
  });

  test('a head over 16 KiB is 431, complete or not', () => {
    const big = 'x'.repeat(17 * 1024);
    assert.equal(req(`GET / HTTP/1.1\r\nHost: x\r\nX: ${big}\r\n\r\n`), 431);
    assert.equal(req(`GET / HTTP/1.1\r\nHost: x\r\nX: ${big}`), 431);
  });

  const fallbacks: [string, string, string][] = [
    ['Upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 'upgrade'],
    ['Expect other than 100-continue', 'PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue-please\r\n\r\n', 'expect'],
    ['Expect twice', 'PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n', 'expect'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\n\r\n', 'http/1.0'],
    ['absolute form', 'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n', 'target form'],
    ['asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', 'target form'],
  ];
  test('one Expect: 100-continue (any case) is served here', () => {
    for (const v of ['100-continue', '100-Continue', ' 100-CONTINUE ']) {
      const r = ok(`PUT / HTTP/1.1\r\nHost: x\r\nExpect:${v}\r\nContent-Length: 3\r\n\r\n`);
      assert.equal(r.fallback, null);
      assert.equal(r.expectContinue, true);
    }
    assert.equal(ok('PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n').expectContinue, false);
  });

  for (const [what, s, why] of fallbacks) {
    test(`handed to node:http: ${what}`, () => assert.equal(ok(s).fallback, why));
  }
  test('bodies stay on the fast path, with their framing', () => {
    const cl = ok('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
    assert.equal(cl.fallback, null);
    assert.equal(cl.contentLength, 5);
    assert.equal(cl.chunked, false);
    const ch = ok('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n');
    assert.equal(ch.fallback, null);
    assert.equal(ch.chunked, true);
  });

  test('split at every byte boundary, a head parses like the whole', () => {
    const s = 'GET /p?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nX-Long: ' + 'v'.repeat(100) + '\r\n\r\nGET /next HTTP/1.1\r\n';
    const whole = Buffer.from(s, 'latin1');
    const expected = ok(s);
    for (let cut = 1; cut < expected.headEnd; cut++) {
      assert.equal(parseRequest(whole.subarray(0, cut), 0), NEED_MORE, `cut at ${cut}`);
    }
    for (let cut = expected.headEnd; cut <= whole.length; cut++) {
      assert.deepEqual(parseRequest(whole.subarray(0, cut), 0), expected, `cut at ${cut}`);
    }
  });
});

function resp(s: string): ResponseHead | number {
  return parseResponseHead(Buffer.from(s, 'latin1'), 0);
}

describe('response heads', () => {
  test('status, reason, headers and framing', () => {
    const r = resp('HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX: y\r\n\r\nhello') as ResponseHead;
    assert.equal(r.status, 201);
    assert.equal(r.reason, 'Created');
    assert.equal(r.contentLength, 5);
    assert.equal(r.chunked, false);
    assert.equal(r.close, false);
  });
  test('Transfer-Encoding wins over Content-Length and the connection is not reused', () => {
    const r = resp('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n') as ResponseHead;
    assert.equal(r.chunked, true);
    assert.equal(r.contentLength, -1);
    assert.equal(r.close, true);
  });
  test('conflicting Content-Length values are invalid; equal repeats are one', () => {
    assert.equal(resp('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'), INVALID);
    assert.equal((resp('HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n') as ResponseHead).contentLength, 5);
  });
  test('bare LF, obs-fold and control bytes are invalid', () => {
    assert.equal(resp('HTTP/1.1 200 OK\nX: y\r\n\r\n'), INVALID);
    assert.equal(resp('HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n'), INVALID);
    assert.equal(resp('HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n'), INVALID);
    assert.equal(resp('HTTP/1.1 2000 OK\r\n\r\n'), INVALID);
  });
  test('HTTP/1.0 responses close the connection', () => {
    assert.equal((resp('HTTP/1.0 200 OK\r\n\r\n') as ResponseHead).close, true);
  });
});

function decode(s: string, step = 0): { data: string; end: number; trailers: string[] | null } {
  const d = new ChunkedDecoder();
  const buf = Buffer.from(s, 'latin1');
  let data = '';
  let p = 0;
  while (!d.done && p < buf.length) {
    const upto = step > 0 ? Math.min(buf.length, p + step) : buf.length;
    const piece = buf.subarray(p, upto);
    const q = d.feed(piece, 0, (c) => {
      data += c.toString('latin1');
      return true;
    });
    if (q === -1) return { data, end: -1, trailers: null };
    p += q;
  }
  return { data, end: d.done ? p : -2, trailers: d.trailers };
}

describe('chunked bodies', () => {
  const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT';
  test('decodes data, extensions and trailers, and stops at the end', () => {
    const r = decode(body);
    assert.equal(r.data, 'hello world');
    assert.equal(r.end, body.length - 4);
    assert.deepEqual(r.trailers, ['X-T', '1']);
  });
  test('byte by byte gives the same', () => {
    const r = decode(body, 1);
    assert.equal(r.data, 'hello world');
    assert.equal(r.end, body.length - 4);
  });
  for (const [what, s] of [
    ['a size that is not hex', 'g\r\nx\r\n0\r\n\r\n'],
    ['an empty size', '\r\nx\r\n0\r\n\r\n'],
    ['a negative size', '-1\r\nx\r\n0\r\n\r\n'],
    ['an overlong size', '10000000000000\r\n'],
    ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['data longer than its size', '5\r\nhelloX\r\n0\r\n\r\n'],
    ['a bare LF after the data', '5\r\nhello\n0\r\n\r\n'],
    ['a control byte in an extension', '5;\x01\r\nhello\r\n0\r\n\r\n'],
    ['a malformed trailer', '0\r\nnot a trailer\r\n\r\n'],
  ]) {
    test(`refused: ${what}`, () => assert.equal(decode(s!).end, -1));
  }
});

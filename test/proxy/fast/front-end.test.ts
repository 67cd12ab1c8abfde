// The raw-socket front end and raw upstream pool through a real data plane, with raw client
// sockets: pipelining, heads split into single bytes, smuggling attempts refused before anything
// reaches a backend, 431, the headers timeout (slowloris), hand-over to node:http at a request
// boundary, chunked and HEAD responses, upstream keep-alive reuse and a stale upstream connection.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fastTimeouts } from '../../../src/proxy/fast/index.ts';
import { cluster, freePort, get, httpPort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';

const dp = newDataPlane();
let port: number;
let echo: Backend;
let special: Backend;
let upstreamConnections = 0;
/** A backend written on a raw socket, to send response heads node:http would not (no reason phrase, odd hop-by-hop fields). */
let rawBackend: Server;
let rawPort = 0;
const rawSockets = new Set<Socket>();
const RAW_RESPONSES: Record<string, string> = {
  '/raw/hop':
    'HTTP/1.1 203\r\nX-A: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nContent-Length: 2\r\nConnection: keep-alive\r\nX-B: b\r\n\r\nok',
  '/raw/untidy': 'HTTP/1.1 200 OK\r\nX-B:  spaced \r\nX-C:c\r\nContent-Length: 2\r\n\r\nok',
  '/raw/named': 'HTTP/1.1 200 Fine\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Kept: 2\r\nContent-Length: 2\r\n\r\nok',
  '/raw/dated': 'HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n',
};
const PATTERN = Buffer.alloc(8 * 1024 * 1024);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 7 + (i >> 13)) % 251;

before(async () => {
  echo = await startBackend('echo');
  echo.server.on('connection', () => upstreamConnections++);
  special = await startBackend('special', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url === '/s/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('hello ');
      setTimeout(() => res.end('world'), 10);
    } else if (req.url!.startsWith('/s/pattern')) {
      // 8 MiB of a byte pattern, in odd-sized writes, framed by Content-Length or chunked.
      const chunked = req.url!.endsWith('chunked');
      res.writeHead(200, chunked ? {} : { 'content-length': String(PATTERN.length) });
      let at = 0;
      const pump = (): void => {
        while (at < PATTERN.length) {
          const end = Math.min(PATTERN.length, at + 40_000 + (at % 9_973));
          const ok = res.write(PATTERN.subarray(at, end));
          at = end;
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else if (req.url === '/s/head') {
      res.writeHead(200, { 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    } else {
      res.writeHead(404, { 'content-length': '0' }).end();
    }
  });
  // Idle upstream connections are closed by the backend quickly: the pool must notice or retry.
  special.server.keepAliveTimeout = 50;
  rawBackend = createServer((s) => {
    rawSockets.add(s);
    s.on('close', () => rawSockets.delete(s));
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      for (let end = got.indexOf('\r\n\r\n'); end !== -1; end = got.indexOf('\r\n\r\n')) {
        const path = got.slice(got.indexOf(' ') + 1, got.indexOf(' ', got.indexOf(' ') + 1));
        got = got.slice(end + 4);
        s.write(RAW_RESPONSES[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => rawBackend.listen(0, '127.0.0.1', r));
  rawPort = (rawBackend.address() as { port: number }).port;
  port = await freePort();
  await dp.apply(
    ir(
      [httpPort(port, [listener('l', [vhost('*', [rule(match({ type: 'PathPrefix', value: '/s' }), 'special'), rule(match({ type: 'PathPrefix', value: '/raw' }), 'raw'), rule(match(), 'echo')])])])],
      [cluster('echo', { port: echo.port }), cluster('special', { port: special.port }), cluster('raw', { port: rawPort })],
    ),
  );
});

after(async () => {
  await dp.drain(1000);
  await echo.close();
  await special.close();
  for (const s of rawSockets) s.destroy();
  await new Promise((r) => rawBackend.close(r));
});

/** Write `parts` (one write each) and collect what comes back until `done(text)` or the socket closes. */
function raw(parts: (string | Buffer)[], done: (text: string) => boolean, gapMs = 0): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    let closed = false;
    let finished = false;
    const sock: Socket = connect(port, '127.0.0.1', async () => {
      for (const p of parts) {
        if (sock.destroyed) break;
        sock.write(p);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    const finish = (): void => {
      if (finished) return;
      finished = true;
      sock.destroy();
      resolve({ text, closed });
    };
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (done(text)) finish();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      finish();
    });
  });
}

const statusLines = (t: string): string[] => t.match(/HTTP\/1\.1 \d{3}[^\r]*/g) ?? [];

describe('fast front end', () => {
  test('pipelined requests are answered in order on one connection', async () => {
    const one = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: example.com\r\n\r\n`;
    const r = await raw([one('/a') + one('/b') + one('/c')], (t) => statusLines(t).length === 3 && t.includes('"/c"'));
    assert.deepEqual(statusLines(r.text), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    assert.ok(r.text.indexOf('"url":"/a"') < r.text.indexOf('"url":"/b"') && r.text.indexOf('"url":"/b"') < r.text.indexOf('"url":"/c"'));
    assert.equal(r.closed, false);
  });

  test('a head sent one byte at a time', async () => {
    const head = 'GET /bytes HTTP/1.1\r\nHost: example.com\r\nX-Y: z\r\n\r\n';
    const r = await raw(head.split(''), (t) => t.includes('"/bytes"'), 1);
    assert.deepEqual(statusLines(r.text), ['HTTP/1.1 200 OK']);
  });

  for (const [what, head, status] of [
    ['Content-Length with Transfer-Encoding', 'POST /smuggle1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['two Content-Length', 'POST /smuggle2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a bare LF', 'GET /smuggle3 HTTP/1.1\nHost: x\r\n\r\n', 400],
    ['obs-fold', 'GET /smuggle4 HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n', 400],
    ['an unknown Transfer-Encoding', 'POST /smuggle5 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n', 501],
  ] as [string, string, number][]) {
    test(`refused before any backend sees it: ${what}`, async () => {
      const seen = echo.seen.length;
      const r = await raw([head], () => false);
      assert.deepEqual(statusLines(r.text).map((l) => l.slice(9, 12)), [String(status)]);
      assert.ok(r.closed);
      assert.equal(echo.seen.length, seen);
    });
  }

  test('a head larger than 16 KiB is 431', async () => {
    const r = await raw([`GET / HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`], () => false);
    assert.match(r.text, /^HTTP\/1\.1 431 /);
    assert.ok(r.closed);
  });

  test('a head that never completes is answered 408 at the headers timeout', async () => {
    // A short timeout for this test alone: the other tests send heads slowly on purpose (one
    // byte at a time), and a loaded machine must not turn them into 408s.
    const saved = fastTimeouts.headersMs;
    fastTimeouts.headersMs = 300;
    try {
      const r = await raw(['GET / HTTP/1.1\r\nHost: x\r\n'], () => false);
      assert.match(r.text, /^HTTP\/1\.1 408 /);
      assert.ok(r.closed);
    } finally {
      fastTimeouts.headersMs = saved;
    }
  });

  test('a request the fast path does not serve hands the connection to node:http at the request boundary', async () => {
    const get1 = 'GET /first HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const odd = 'POST /second HTTP/1.1\r\nHost: example.com\r\nUpgrade: foo\r\nContent-Length: 5\r\n\r\nhello';
    const get3 = 'GET /third HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const r = await raw([get1 + odd + get3], (t) => t.includes('"/third"'));
    assert.deepEqual(statusLines(r.text), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    assert.match(r.text, /"url":"\/second".*"bodyBytes":5/);
    assert.equal(r.closed, false);
  });

  test('Content-Length and chunked request bodies stream upstream, pipelined requests after them', async () => {
    const cl = 'POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello';
    const ch = 'POST /ch HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nT: 1\r\n\r\n';
    const g = 'GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const all = cl + ch + g;
    // In one write, and split into pieces of 7 bytes.
    for (const parts of [[all], all.match(/[\s\S]{1,7}/g)!]) {
      const r = await raw(parts, (t) => t.includes('"/after"'), parts.length > 1 ? 1 : 0);
      assert.deepEqual(statusLines(r.text), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      assert.match(r.text, /"url":"\/cl".*"bodyBytes":5/);
      assert.match(r.text, /"url":"\/ch".*"bodyBytes":5/);
      assert.equal(r.closed, false);
    }
  });

  test('a request body with broken chunked framing ends the connection', async () => {
    const r = await raw(['POST /broken HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], () => false);
    assert.ok(r.closed);
    assert.ok(!r.text.includes('HTTP/1.1 200'));
  });

  test('a chunked upstream response arrives whole, re-framed', async () => {
    const r = await raw(['GET /s/chunked HTTP/1.1\r\nHost: example.com\r\n\r\n'], (t) => t.endsWith('0\r\n\r\n'));
    assert.match(r.text, /transfer-encoding: chunked/i);
    const body = r.text.slice(r.text.indexOf('\r\n\r\n') + 4);
    assert.equal(body, '6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
  });

  test('HEAD keeps Content-Length and sends no body', async () => {
    const head = 'HEAD /s/head HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const r = await raw([head + head], (t) => statusLines(t).length === 2);
    assert.equal((r.text.match(/content-length: 5\r\n/gi) ?? []).length, 2);
    assert.ok(!r.text.includes('hello'));
  });

  for (const framing of ['length', 'chunked']) {
    test(`a large response read slowly arrives byte for byte (${framing})`, async () => {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: `/s/pattern-${framing}`, headers: { host: 'example.com' }, agent: false }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            parts.push(c);
            // A slow reader: the proxy must hold the upstream back, not lose or reuse bytes.
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(Buffer.concat(parts)));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(got.length, PATTERN.length);
      assert.ok(got.equals(PATTERN), 'body differs from what the backend sent');
    });
  }

  test('a response head relayed as bytes: hop-by-hop fields dropped, a missing reason and date filled in', async () => {
    const r = await raw(['GET /raw/hop HTTP/1.1\r\nHost: example.com\r\n\r\n'], (t) => t.endsWith('\r\n\r\nok'));
    const [head, body] = r.text.split('\r\n\r\n');
    const lines = head!.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 203 Non-Authoritative Information');
    const names = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    assert.deepEqual(names, ['x-a', 'content-length', 'x-b', 'date']);
    assert.ok(lines.includes('X-A: 1') && lines.includes('Content-Length: 2') && lines.includes('X-B: b'), head);
    assert.match(lines[4]!, /^date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.equal(body, 'ok');
    assert.equal(r.closed, false);
  });

  test('a relayed head keeps the upstream Date, and says connection: close when the client asked to close', async () => {
    const r = await raw(['GET /raw/dated HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'], () => false);
    assert.equal(r.text, 'HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 0\r\nconnection: close\r\n\r\n');
    assert.ok(r.closed);
  });

  test('a head with extra whitespace around values is sent as the string path writes it', async () => {
    const r = await raw(['GET /raw/untidy HTTP/1.1\r\nHost: example.com\r\n\r\n'], (t) => t.endsWith('\r\n\r\nok'));
    assert.match(r.text, /\r\nX-B: spaced\r\nX-C: c\r\n/);
  });

  test('fields a Connection header names are dropped too (the string path)', async () => {
    const r = await raw(['GET /raw/named HTTP/1.1\r\nHost: example.com\r\n\r\n'], (t) => t.endsWith('\r\n\r\nok'));
    assert.match(r.text, /^HTTP\/1\.1 200 Fine\r\n/);
    assert.match(r.text, /\r\nX-Kept: 2\r\n/);
    assert.doesNotMatch(r.text, /x-hop|connection/i);
  });

  test('upstream connections are kept alive and reused', async () => {
    const before = upstreamConnections;
    for (let i = 0; i < 5; i++) assert.equal((await get(port, `/reuse/${i}`)).status, 200);
    assert.ok(upstreamConnections - before <= 1, `${upstreamConnections - before} upstream connections for 5 sequential requests`);
  });

  test('an upstream connection the backend closed while idle is not a failure', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await get(port, '/s/head')).status, 200);
      await new Promise((r) => setTimeout(r, 80));
    }
  });
});

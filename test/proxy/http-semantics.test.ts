// HTTP semantics of the proxy: hop-by-hop headers, forwarding headers, bodies streamed with
// backpressure, HEAD/204/304, Expect: 100-continue, aborts in both directions.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { cluster, freePort, get, httpPort, ir, json, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from './helpers.ts';

const dp = newDataPlane();
let port: number;
let echo: Backend;
let special: Backend;
let sink: Backend;
let sinkPausedMs = 0;
let onSinkResume: () => void = () => {};
let downloadSent = 0;
let abortedUpstream = 0;

const MB = 1024 * 1024;

before(async () => {
  echo = await startBackend('echo');
  special = await startBackend('special', (req, res) => {
    req.resume();
    const url = req.url!;
    if (url === '/hop') {
      res.writeHead(200, { connection: 'x-resp-hop', 'x-resp-hop': '1', 'keep-alive': 'timeout=5', 'x-fine': 'yes', 'content-length': '2' });
      res.end('ok');
    } else if (url === '/head') {
      res.writeHead(200, { 'content-length': '5', 'content-type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    } else if (url === '/204') {
      res.writeHead(204, { 'x-no': 'content' }).end();
    } else if (url === '/304') {
      res.writeHead(304, { etag: '"abc"' }).end();
    } else if (url.startsWith('/download')) {
      const total = Number(new URL(url, 'http://x').searchParams.get('mb')) * MB;
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 120);
      downloadSent = 0;
      Readable.from(
        (function* () {
          while (downloadSent < total) {
            downloadSent += chunk.length;
            yield chunk;
          }
        })(),
      ).pipe(res);
    } else if (url === '/trailers') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('part one, ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('part two');
    } else if (url === '/hang') {
      res.on('close', () => {
        if (!res.writableFinished) abortedUpstream++;
      });
    } else if (url === '/cut') {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 97));
      setTimeout(() => res.socket?.destroy(), 50);
    } else {
      res.end('?');
    }
  });
  // Counts body bytes; can hold off reading to test backpressure.
  sink = await startBackend('sink', (req, res, seen) => {
    req.pause();
    setTimeout(() => {
      onSinkResume();
      req.on('data', (c: Buffer) => (seen.bodyBytes += c.length));
      req.on('end', () => res.end(String(seen.bodyBytes)));
      req.resume();
    }, sinkPausedMs);
  });
  port = await freePort();
  const rules = [
    rule(match({ type: 'PathPrefix', value: '/echo' }), 'echo'),
    rule(match({ type: 'PathPrefix', value: '/upload' }), 'sink'),
    rule(match({ type: 'PathPrefix', value: '/' }), 'special'),
  ];
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('*', rules)])])], [cluster('echo', echo), cluster('special', special), cluster('sink', sink)]));
});

after(async () => {
  await dp.drain(1000);
  await Promise.all([echo.close(), special.close(), sink.close()]);
});

describe('headers', () => {
  test('hop-by-hop request headers are removed, with the ones Connection names', async () => {
    const r = await get(port, '/echo', {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-connection': 'keep-alive', 'x-end-to-end': 'kept' },
    });
    const h = json(r).headers;
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-connection', 'transfer-encoding', 'upgrade']) assert.equal(h[name], undefined, name);
    assert.equal(h['x-end-to-end'], 'kept');
  });

  test('hop-by-hop response headers are removed, with the ones Connection names', async () => {
    const r = await get(port, '/hop');
    assert.equal(r.headers['x-resp-hop'], undefined);
    assert.notEqual(r.headers['keep-alive'], 'timeout=5');
    assert.equal(r.headers['x-fine'], 'yes');
    assert.equal(r.body, 'ok');
  });

  test('X-Forwarded-For is appended; X-Forwarded-Proto and X-Forwarded-Host are set; Host is unchanged', async () => {
    const r = await get(port, '/echo', { host: 'Shop.Example.com:8080', headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    const h = json(r).headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'Shop.Example.com:8080');
    assert.equal(h.host, 'Shop.Example.com:8080');
  });

  test('the request target is forwarded byte for byte', async () => {
    for (const path of ['/echo/a//b/./c/../d', '/echo/%7euser/%2F?x=%20&y', '/echo?']) {
      assert.equal(json(await get(port, path)).url, path);
    }
  });

  test('an absolute-form target is routed by its authority and sent upstream in origin form', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET http://Abs.Example.com:8080/echo/abs?x=1 HTTP/1.1\r\nHost: ignored.example\r\nConnection: close\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += c));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    const seen = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(seen.url, '/echo/abs?x=1');
    assert.equal(seen.headers.host, 'Abs.Example.com:8080');
  });
});

describe('bodies', () => {
  test('HEAD, 204 and 304 carry no body', async () => {
    const head = await get(port, '/head', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '5');
    assert.equal(head.body, '');
    const nc = await get(port, '/204');
    assert.equal(nc.status, 204);
    assert.equal(nc.body, '');
    const nm = await get(port, '/304');
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.etag, '"abc"');
  });

  test('Expect: 100-continue gets a 100 and the body is forwarded', async () => {
    const status = await new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/echo/expect', method: 'POST', headers: { host: 'x', expect: '100-continue', 'content-length': '5' } });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('response', (res: IncomingMessage) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, continued }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status.continued, true);
    assert.equal(status.status, 200);
    assert.equal(JSON.parse(status.body).bodyBytes, 5);
  });

  test('a large upload streams with backpressure: memory stays bounded while the backend stalls', async () => {
    sinkPausedMs = 800;
    const total = 96 * MB;
    const chunk = Buffer.alloc(256 * 1024, 98);
    let produced = 0;
    const body = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    let producedWhenBackendReads = -1;
    onSinkResume = () => (producedWhenBackendReads = produced);
    const reply = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: { host: 'x', 'content-length': String(total) } }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      });
      req.on('error', reject);
      body.pipe(req);
    });
    sinkPausedMs = 0;
    onSinkResume = () => {};
    assert.equal(Number(reply), total);
    // Had the proxy buffered the body, the client would have sent all 96 MB while the backend
    // stalled. With backpressure only socket and stream buffers fill before the client blocks.
    assert.ok(producedWhenBackendReads >= 0 && producedWhenBackendReads < 32 * MB, `client had produced ${Math.round(producedWhenBackendReads / MB)} MB`);
  });

  test('a large download streams with backpressure to a slow reader', async () => {
    const mb = 96;
    let sentWhenClientReads = -1;
    const received = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/download?mb=${mb}`, headers: { host: 'x' } }, (res) => {
        let n = 0;
        res.pause();
        setTimeout(() => {
          sentWhenClientReads = downloadSent;
          res.on('data', (c: Buffer) => (n += c.length));
          res.on('end', () => resolve(n));
          res.resume();
        }, 800);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(received, mb * MB);
    assert.ok(sentWhenClientReads >= 0 && sentWhenClientReads < 32 * MB, `backend had sent ${Math.round(sentWhenClientReads / MB)} MB`);
  });
});

describe('trailers', () => {
  test('response trailers after a chunked body reach an HTTP/1.1 client', async () => {
    const got = await new Promise<{ body: string; trailers: Record<string, string | undefined>; announced: unknown }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/trailers', headers: { host: 'x', te: 'trailers' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ body, trailers: res.trailers, announced: res.headers.trailer }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(got.body, 'part one, part two');
    assert.equal(got.trailers['x-checksum'], 'abc123');
    assert.equal(got.announced, 'x-checksum');
  });
});

describe('aborts', () => {
  test('a client that goes away aborts the upstream request', async () => {
    const before = abortedUpstream;
    await new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 100);
      });
    });
    for (let i = 0; i < 100 && abortedUpstream === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(abortedUpstream, before + 1);
  });

  test('a client that goes away mid-upload does not disturb the proxy', async () => {
    await new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
        sock.write(Buffer.alloc(100_000, 1));
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await get(port, '/echo/still-alive')).status, 200);
  });

  test('an upstream that dies mid-body cuts the client response short', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/cut', headers: { host: 'x' } }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(`complete ${n}`));
        res.on('error', () => resolve('aborted'));
        res.on('aborted', () => resolve('aborted'));
      });
      req.on('error', () => resolve('aborted'));
      req.end();
    });
    assert.equal(outcome, 'aborted');
  });
});

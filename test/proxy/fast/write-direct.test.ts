// Writes straight through the socket's handle (fast/write-direct.ts), on real TCP sockets: a write
// the kernel takes only in part (the peer does not read) keeps its bytes, their order with later
// writes by either route, and backpressure ('drain'); a peer that resets mid-write destroys the
// socket with an error and nothing throws; corked sockets and a Node without the internals take
// socket.write(). Then through a real data plane: a client that does not read while many
// responses (each one direct write) pile up, and a backend that does not read a large upload at
// first, and chunked responses of small chunks.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { directWriteAvailable, writeDirect } from '../../../src/proxy/fast/write-direct.ts';
import { TestCA } from '../certs.ts';
import { cluster, freePort, httpPort, ir, listener, match, newDataPlane, rule, vhost } from '../helpers.ts';

const pattern = (n: number, seed = 0): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed + (i >> 12)) % 251;
  return b;
};

/** A connected pair: `server` is the accepted socket, `client` the one that connected. */
async function pair(): Promise<{ server: Socket; client: Socket; close(): Promise<void> }> {
  let accepted!: (s: Socket) => void;
  const got = new Promise<Socket>((r) => (accepted = r));
  const srv = createServer((s) => accepted(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const server = await got;
  return {
    server,
    client,
    close: async () => {
      server.destroy();
      client.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

describe('writeDirect on real sockets', () => {
  test('this Node exposes what the direct route needs', () => {
    assert.equal(directWriteAvailable, true);
  });

  test('a write the kernel takes in part: false, bytes kept in order with later writes, then drain', async () => {
    const p = await pair();
    try {
      p.client.pause();
      const chunks: Buffer[] = [];
      p.client.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((r) => p.client.on('end', r));
      const head = 'HTTP/1.1 200 OK\r\n\r\n';
      const big = pattern(16 * 1024 * 1024, 3);
      assert.equal(writeDirect(p.server, head), true);
      assert.equal(writeDirect(p.server, big), false, 'the peer does not read: the kernel cannot take 16 MiB');
      assert.equal(p.server.writableLength, 0, 'the big write went to the handle, not the Writable');
      // While the direct write is queued, later writes take the Writable and follow it.
      assert.equal(writeDirect(p.server, 'middle'), true);
      assert.ok(p.server.writableLength > 0);
      const drained = new Promise((r) => p.server.once('drain', r));
      p.client.resume();
      await drained;
      assert.equal(writeDirect(p.server, Buffer.from('tail')), true);
      p.server.end();
      await ended;
      const want = Buffer.concat([Buffer.from(head), big, Buffer.from('middle'), Buffer.from('tail')]);
      const out = Buffer.concat(chunks);
      assert.equal(out.length, want.length);
      assert.ok(out.equals(want), 'bytes reordered or changed');
    } finally {
      await p.close();
    }
  });

  test('a peer that resets while a direct write is queued: the socket is destroyed with an error, nothing throws', async () => {
    const p = await pair();
    try {
      p.client.pause();
      const closed = new Promise<Error | null>((r) => {
        let err: Error | null = null;
        p.server.on('error', (e) => (err = e));
        p.server.on('close', () => r(err));
      });
      assert.equal(writeDirect(p.server, pattern(16 * 1024 * 1024)), false);
      p.client.resetAndDestroy();
      // Keep writing as a response in flight would: some go direct, some to the Writable.
      for (let i = 0; i < 50 && !p.server.destroyed; i++) {
        writeDirect(p.server, pattern(64 * 1024, i));
        await new Promise((r) => setTimeout(r, 2));
      }
      const err = (await closed) as (Error & { code?: string }) | null;
      assert.ok(err !== null, 'expected an error');
      assert.ok(['EPIPE', 'ECONNRESET'].includes(err.code!), `unexpected ${err.code}: ${err.message}`);
    } finally {
      await p.close();
    }
  });

  test('a write to a socket whose peer is gone fails like socket.write: destroyed with EPIPE/ECONNRESET', async () => {
    const p = await pair();
    try {
      const closed = new Promise<(Error & { code?: string }) | null>((r) => {
        let err: Error | null = null;
        p.server.on('error', (e) => (err = e));
        p.server.on('close', () => r(err));
      });
      p.client.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 20 && !p.server.destroyed; i++) writeDirect(p.server, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      const err = await closed;
      assert.ok(err !== null && ['EPIPE', 'ECONNRESET'].includes(err.code!), `unexpected ${err?.code}`);
    } finally {
      await p.close();
    }
  });

  test('a corked socket takes socket.write (the bytes wait for uncork, in order)', async () => {
    const p = await pair();
    try {
      const chunks: Buffer[] = [];
      p.client.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((r) => p.client.on('end', r));
      p.server.cork();
      p.server.write('a');
      writeDirect(p.server, 'b');
      assert.equal(p.server.writableLength, 2, 'a direct write jumped a corked one');
      p.server.uncork();
      writeDirect(p.server, Buffer.from('c'));
      p.server.end();
      await ended;
      assert.equal(Buffer.concat(chunks).toString(), 'abc');
    } finally {
      await p.close();
    }
  });

  test('a TLS socket takes socket.write: the bytes are encrypted, and arrive whole', async () => {
    const ca = new TestCA();
    const leaf = ca.leaf(['direct.test']);
    const srv = createTlsServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => {
      s.on('error', () => {});
      const big = pattern(3 * 1024 * 1024, 5);
      writeDirect(s, 'head;');
      writeDirect(s, big);
      s.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const c = tlsConnect({ port: (srv.address() as { port: number }).port, host: '127.0.0.1', servername: 'direct.test', ca: ca.certPem });
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => chunks.push(d));
      await new Promise<void>((resolve, reject) => {
        c.on('end', () => resolve());
        c.on('error', reject);
      });
      c.destroy();
      assert.ok(Buffer.concat(chunks).equals(Buffer.concat([Buffer.from('head;'), pattern(3 * 1024 * 1024, 5)])));
    } finally {
      await new Promise((r) => srv.close(r));
      ca.dispose();
    }
  });

  test('without the internals (WICKET_NO_DIRECT_WRITE) every write takes socket.write', () => {
    const mod = fileURLToPath(new URL('../../../src/proxy/fast/write-direct.ts', import.meta.url));
    const script = `
      import { createServer, connect } from 'node:net';
      const { directWriteAvailable, writeDirect } = await import(${JSON.stringify(mod)});
      const srv = createServer((s) => { writeDirect(s, 'hi'); const queued = s.writableLength; s.end(); srv.close();
        process.stdout.write(JSON.stringify({ directWriteAvailable, queued })); });
      srv.listen(0, '127.0.0.1', () => { const c = connect(srv.address().port, '127.0.0.1'); c.resume(); });`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, WICKET_NO_DIRECT_WRITE: '1' }, encoding: 'utf8', timeout: 20_000 });
    // Through the Writable, the first write is dispatched at once too; what shows the route is the flag.
    assert.deepEqual(JSON.parse(out).directWriteAvailable, false);
  });
});

describe('direct writes through the data plane', () => {
  const dp = newDataPlane();
  let port: number;
  let backend: Server;
  const backendSockets = new Set<Socket>();
  /** sha256 and length of each upload the backend read, by path. */
  const uploads = new Map<string, { bytes: number; sha: string }>();
  const BODY = 4000; // a small body: head and body leave in one direct write

  before(async () => {
    backend = createServer((s) => {
      backendSockets.add(s);
      s.on('close', () => backendSockets.delete(s));
      s.on('error', () => {});
      let got: Buffer = Buffer.alloc(0);
      let upload: { path: string; left: number; hash: ReturnType<typeof createHash>; bytes: number } | null = null;
      const onData = (c: Buffer): void => {
        got = got.length === 0 ? c : Buffer.concat([got, c]);
        for (;;) {
          if (upload !== null) {
            const n = Math.min(upload.left, got.length);
            upload.hash.update(got.subarray(0, n));
            upload.bytes += n;
            upload.left -= n;
            got = got.subarray(n);
            if (upload.left > 0) return;
            uploads.set(upload.path, { bytes: upload.bytes, sha: upload.hash.digest('hex') });
            s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
            upload = null;
            continue;
          }
          const end = got.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = got.subarray(0, end).toString('latin1');
          got = got.subarray(end + 4);
          const path = head.split(' ')[1]!;
          const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
          if (cl !== null && Number(cl[1]) > 0) {
            upload = { path, left: Number(cl[1]), hash: createHash('sha256'), bytes: 0 };
            if (path.startsWith('/slow')) {
              // Do not read for a while: the proxy's writes of the upload must wait, not be lost.
              s.pause();
              setTimeout(() => s.resume(), 300);
            }
            continue;
          }
          if (path.startsWith('/chunked')) {
            // Small chunks in separate writes (separate reads at the proxy, as often as not), then the end.
            s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
            const parts = [`${path};`, 'a'.repeat(100), 'b'.repeat(4096), 'c'.repeat(4097), 'd'];
            let i = 0;
            const next = (): void => {
              if (s.destroyed) return;
              if (i === parts.length) return void s.write('0\r\n\r\n');
              const part = parts[i++]!;
              s.write(`${part.length.toString(16)}\r\n${part}\r\n`);
              setImmediate(next);
            };
            next();
            continue;
          }
          const body = Buffer.alloc(BODY, 46);
          body.write(`${path};`, 'latin1');
          s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY}\r\n\r\n`), body]));
        }
      };
      s.on('data', onData);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    port = await freePort();
    await dp.apply(ir([httpPort(port, [listener('l', [vhost('*', [rule(match(), 'b')])])])], [cluster('b', { port: (backend.address() as { port: number }).port })]));
  });

  after(async () => {
    await dp.drain(1000);
    for (const s of backendSockets) s.destroy();
    await new Promise((r) => backend.close(r));
  });

  test('a client that does not read while 3,000 pipelined responses pile up gets every one, in order', async () => {
    const N = 3000;
    let reqs = '';
    for (let i = 0; i < N; i++) reqs += `GET /r${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const sock = connect(port, '127.0.0.1');
    sock.pause();
    const chunks: Buffer[] = [];
    let total = 0;
    const done = new Promise<void>((resolve, reject) => {
      sock.on('data', (c: Buffer) => {
        chunks.push(c);
        total += c.length;
        if (total >= N * BODY) {
          const text = Buffer.concat(chunks).toString('latin1');
          if (text.split('HTTP/1.1 200 ').length - 1 === N) resolve();
        }
      });
      sock.on('close', () => reject(new Error(`closed after ${total} bytes`)));
      sock.on('error', reject);
    });
    sock.write(reqs);
    await new Promise((r) => setTimeout(r, 400)); // the proxy's writes go partial and queue meanwhile
    sock.resume();
    await done;
    sock.destroy();
    const text = Buffer.concat(chunks).toString('latin1');
    const bodies = text.split(/HTTP\/1\.1 200 OK\r\n[^]*?\r\n\r\n/).slice(1);
    assert.equal(bodies.length, N);
    for (let i = 0; i < N; i++) {
      assert.ok(bodies[i]!.startsWith(`/r${i};`), `response ${i} is ${bodies[i]!.slice(0, 12)}`);
      assert.equal(bodies[i]!.length, BODY);
    }
  });

  test('chunked responses of small chunks (each chunk one direct write) arrive framed and whole, pipelined', async () => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const N = 20;
    const done = new Promise<void>((resolve, reject) => {
      sock.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.split('\r\n0\r\n\r\n').length - 1 === N) resolve();
      });
      sock.on('close', () => reject(new Error(`closed: ${text.slice(0, 200)}`)));
      sock.on('error', reject);
    });
    let reqs = '';
    for (let i = 0; i < N; i++) reqs += `GET /chunked${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    sock.write(reqs);
    await done;
    sock.destroy();
    // De-chunk every response strictly: any framing error or reordering fails here.
    let at = 0;
    for (let i = 0; i < N; i++) {
      const headEnd = text.indexOf('\r\n\r\n', at);
      const head = text.slice(at, headEnd);
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\ntransfer-encoding: chunked/i);
      at = headEnd + 4;
      let body = '';
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, lineEnd), 16);
        assert.ok(Number.isInteger(size) && /^[0-9a-f]+$/.test(text.slice(at, lineEnd)), `bad chunk size line at ${at}`);
        at = lineEnd + 2;
        if (size === 0) {
          assert.equal(text.slice(at, at + 2), '\r\n');
          at += 2;
          break;
        }
        body += text.slice(at, at + size);
        assert.equal(text.slice(at + size, at + size + 2), '\r\n');
        at += size + 2;
      }
      assert.equal(body, `/chunked${i};${'a'.repeat(100)}${'b'.repeat(4096)}${'c'.repeat(4097)}d`);
    }
    assert.equal(at, text.length);
  });

  test('a backend that does not read a large upload at first gets every byte', async () => {
    const body = pattern(12 * 1024 * 1024, 9);
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const answered = new Promise<void>((resolve, reject) => {
      sock.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.endsWith('\r\n\r\nok')) resolve();
      });
      sock.on('close', () => reject(new Error(`closed: ${text}`)));
      sock.on('error', reject);
    });
    sock.write(`POST /slow-upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    sock.write(body);
    await answered;
    sock.destroy();
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.deepEqual(uploads.get('/slow-upload'), { bytes: body.length, sha: createHash('sha256').update(body).digest('hex') });
  });
});

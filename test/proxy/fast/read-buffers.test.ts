// The fast path's reused read buffers, through a real data plane with raw client sockets: client
// reads land in one buffer shared by every connection, and bodies are lent from per-connection
// buffers to the write on the other side (paused while that write holds them). What must survive:
// bytes kept across reads (a partial head, pipelined requests, the rest of a body) while other
// connections read into the shared buffer; bodies larger than a buffer, both ways, byte for byte;
// a slow reader on either side; a client that goes away mid-body; an upstream that answers early.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fastTimeouts } from '../../../src/proxy/fast/index.ts';
import { cluster, freePort, httpPort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';

const dp = newDataPlane();
let port: number;
let backend: Backend;
/** Requests the backend saw end before their body did. */
let abortedBodies = 0;
/** Backend sockets closed. */
let backendClosed = 0;
/** While set, /up waits for it before reading the body. */
let gate: Promise<void> | null = null;

const PATTERN = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + (i >> 11)) % 253;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

before(async () => {
  backend = await startBackend('b', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/up') {
      const h = createHash('sha256');
      let bytes = 0;
      const read = (): void => {
        req.on('data', (c: Buffer) => {
          h.update(c);
          bytes += c.length;
        });
        req.on('end', () => {
          const body = JSON.stringify({ bytes, sha: h.digest('hex'), te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
      };
      req.on('close', () => {
        if (!req.complete) abortedBodies++;
      });
      if (gate !== null) void gate.then(read);
      else read();
    } else if (url.pathname === '/down') {
      const n = Number(url.searchParams.get('n'));
      const chunked = url.searchParams.has('chunked');
      req.resume();
      res.writeHead(200, chunked ? {} : { 'content-length': String(n) });
      let at = 0;
      const pump = (): void => {
        while (at < n) {
          const end = Math.min(n, at + 30_000 + (at % 7_919));
          const ok = res.write(PATTERN.subarray(at, end));
          at = end;
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else if (url.pathname === '/early') {
      // Answers at once without reading the request body.
      res.writeHead(413, { 'content-length': '0' });
      res.end();
    } else {
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ url: req.url });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    }
  });
  backend.server.on('connection', (s: Socket) => s.on('close', () => backendClosed++));
  // Upgrades: 101, then every byte echoed upper-cased.
  backend.server.on('upgrade', (_req: IncomingMessage, s: Socket, head: Buffer) => {
    s.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    if (head.length > 0) s.write(head.toString('latin1').toUpperCase());
    s.on('data', (c: Buffer) => s.write(c.toString('latin1').toUpperCase()));
    s.on('error', () => {});
  });
  port = await freePort();
  await dp.apply(ir([httpPort(port, [listener('l', [vhost('*', [rule(match(), 'b')])])])], [cluster('b', { port: backend.port })]));
});

after(async () => {
  await dp.drain(1000);
  await backend.close();
});

/** A raw client connection: write, and read what comes back. */
class Client {
  readonly sock: Socket;
  data = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];
  /** `halfOpen`: the client does not close when the server does (it stays until destroyed). */
  constructor(halfOpen = false) {
    this.sock = connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen });
    this.sock.setNoDelay(true);
    this.sock.on('data', (c: Buffer) => {
      this.data = Buffer.concat([this.data, c]);
      this.wake();
    });
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  get text(): string {
    return this.data.toString('latin1');
  }
  /** Resolves once `done(text)` holds; rejects when the connection closes first, or after `ms`. */
  async until(done: (text: string) => boolean, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    const poll = setInterval(() => this.wake(), 100);
    try {
      for (;;) {
        if (done(this.text)) return this.text;
        if (this.closed) throw new Error(`closed; got ${JSON.stringify(this.text.slice(0, 300))}`);
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(this.text.slice(-300))}`);
        await new Promise<void>((r) => this.waiters.push(r));
      }
    } finally {
      clearInterval(poll);
    }
  }
  write(b: string | Buffer): Promise<void> {
    return new Promise((r) => this.sock.write(b, () => r()));
  }
  close(): void {
    this.sock.destroy();
  }
}

const statuses = (t: string): string[] => (t.match(/HTTP\/1\.1 (\d{3})/g) ?? []).map((s) => s.slice(9));
const tick = (ms = 2): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The JSON bodies of the responses in `t`, in order. */
function bodies(t: string): Record<string, unknown>[] {
  return [...t.matchAll(/\r\n\r\n(\{[^}]*\})/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
}

describe('fast path read buffers', () => {
  test('split at every byte: a partial head, a body and a pipelined request survive other connections reading in between', async () => {
    const post = 'POST /split/post HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n\r\nhello world';
    const get = 'GET /split/get?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: abcdefghijklmnop\r\n\r\n';
    const all = post + get;
    const a = new Client();
    const b = new Client();
    try {
      for (let i = 1; i < all.length; i++) {
        const before = statuses(a.text).length;
        await a.write(all.slice(0, i));
        await tick();
        // Another connection's read lands in the same shared buffer while `a` has bytes pending.
        const seenB = statuses(b.text).length;
        await b.write(`GET /other/${'z'.repeat(i % 50)} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
        await b.until((t) => statuses(t).length === seenB + 1 && t.endsWith('}'));
        await a.write(all.slice(i));
        const t = await a.until((x) => statuses(x).length === before + 2 && x.endsWith('}'));
        const got = bodies(t).slice(-2);
        assert.deepEqual(got, [{ url: '/split/post' }, { url: '/split/get?x=1' }], `split at ${i}`);
      }
      assert.equal(a.closed, false);
    } finally {
      a.close();
      b.close();
    }
  });

  test('an upgrade after a fast request goes to node:http, and every later read reaches it intact while another connection reads', async () => {
    const c = new Client();
    const other = new Client();
    try {
      await c.write('GET /before HTTP/1.1\r\nHost: example.com\r\n\r\n');
      await c.until((t) => t.endsWith('}'));
      await c.write('GET /up/grade HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      await c.until((t) => t.includes('HTTP/1.1 101'));
      let expect = '';
      for (let i = 0; i < 20; i++) {
        const msg = `message-${i}-${'x'.repeat(i * 37)};`;
        expect += msg.toUpperCase();
        await c.write(msg);
        // Another connection's read overwrites the shared buffer between the upgraded reads.
        const seen = statuses(other.text).length;
        await other.write(`GET /between/${i} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
        await other.until((t) => statuses(t).length === seen + 1 && t.endsWith('}'));
      }
      const t = await c.until((x) => x.endsWith(expect.slice(-40)) && x.length >= expect.length);
      assert.ok(t.endsWith(expect), 'the upgraded stream lost or changed bytes');
    } finally {
      c.close();
      other.close();
    }
  });

  test('many pipelined requests in one write are answered in order', async () => {
    const c = new Client();
    try {
      let all = '';
      for (let i = 0; i < 200; i++) all += `GET /p/${i} HTTP/1.1\r\nHost: example.com\r\n\r\n`;
      await c.write(all);
      const t = await c.until((x) => statuses(x).length === 200 && x.endsWith('}'));
      assert.deepEqual(
        bodies(t).map((b) => b.url),
        Array.from({ length: 200 }, (_, i) => `/p/${i}`),
      );
    } finally {
      c.close();
    }
  });

  for (const chunked of [false, true]) {
    test(`a ${chunked ? 'chunked' : 'Content-Length'} upload much larger than a read buffer arrives byte for byte, then the connection serves the next request`, async () => {
      const body = PATTERN.subarray(0, 6 * 1024 * 1024 + 17);
      const c = new Client();
      try {
        await c.write(`POST /up HTTP/1.1\r\nHost: example.com\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`}\r\n\r\n`);
        // Odd-sized writes (and chunk sizes), so reads end anywhere in the framing.
        for (let at = 0, k = 0; at < body.length; k++) {
          const end = Math.min(body.length, at + 50_000 + ((k * 7_777) % 40_000));
          const piece = body.subarray(at, end);
          await c.write(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
          at = end;
        }
        await c.write(`${chunked ? '0\r\n\r\n' : ''}GET /after HTTP/1.1\r\nHost: example.com\r\n\r\n`);
        const t = await c.until((x) => statuses(x).length === 2 && x.endsWith('}'));
        const [up, next] = bodies(t);
        assert.equal(up!.bytes, body.length);
        assert.equal(up!.sha, sha(body));
        assert.equal(up!.te, chunked ? 'chunked' : null);
        assert.equal(up!.cl, chunked ? null : String(body.length));
        assert.deepEqual(next, { url: '/after' });
      } finally {
        c.close();
      }
    });
  }

  test('Expect: 100-continue: 100 Continue comes before the body is sent, then the body streams byte for byte', async () => {
    const body = PATTERN.subarray(0, 3 * 1024 * 1024 + 5);
    const c = new Client();
    try {
      await c.write(`PUT /up HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
      await c.until((t) => t.includes('\r\n\r\n'));
      assert.equal(c.text, 'HTTP/1.1 100 Continue\r\n\r\n');
      await c.write(body);
      const t = await c.until((x) => statuses(x).length === 2 && x.endsWith('}'));
      assert.deepEqual(statuses(t), ['100', '200']);
      const [up] = bodies(t);
      assert.equal(up!.bytes, body.length);
      assert.equal(up!.sha, sha(body));
      assert.equal(c.closed, false);
    } finally {
      c.close();
    }
  });

  test('an expectation other than 100-continue goes to node:http, which refuses it (417)', async () => {
    const c = new Client();
    try {
      await c.write('PUT /up HTTP/1.1\r\nHost: example.com\r\nExpect: something-else\r\nContent-Length: 3\r\n\r\n');
      await c.until((t) => t.includes('\r\n\r\n'));
      assert.deepEqual(statuses(c.text), ['417']);
    } finally {
      c.close();
    }
  });

  test('an upstream that does not read yet: the upload waits (bounded), then arrives byte for byte', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const body = PATTERN.subarray(0, 12 * 1024 * 1024);
    const c = new Client();
    try {
      const base = process.memoryUsage().arrayBuffers;
      await c.write(`POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${body.length}\r\n\r\n`);
      // Written from one buffer in slices (no new memory on the client side).
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const end = Math.min(body.length, at + 64 * 1024);
          const ok = c.sock.write(body.subarray(at, end));
          at = end;
          if (!ok) return void c.sock.once('drain', pump);
        }
      };
      pump();
      await tick(300);
      // Whatever the kernel buffers hold, the proxy itself keeps no growing copy of the body.
      const grown = process.memoryUsage().arrayBuffers - base;
      assert.ok(grown < 8 * 1024 * 1024, `array buffers grew by ${grown} bytes while the upstream did not read`);
      open();
      const t = await c.until((x) => statuses(x).length === 1 && x.endsWith('}'));
      const [up] = bodies(t);
      assert.equal(up!.bytes, body.length);
      assert.equal(up!.sha, sha(body));
    } finally {
      gate = null;
      c.close();
    }
  });

  test('concurrent large downloads (Content-Length and chunked) read slowly and fast arrive byte for byte', async () => {
    const n = 5 * 1024 * 1024 + 3;
    const run = async (chunked: boolean, slow: boolean): Promise<void> => {
      const c = new Client();
      try {
        await c.write(`GET /down?n=${n}${chunked ? '&chunked' : ''} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
        if (slow) {
          // Stop reading for a while: the proxy's writes back up and it must pause the upstream.
          c.sock.pause();
          await tick(200);
          c.sock.resume();
        }
        await c.until((t) => {
          const headEnd = t.indexOf('\r\n\r\n');
          if (headEnd === -1) return false;
          return chunked ? t.endsWith('\r\n0\r\n\r\n') : c.data.length - headEnd - 4 >= n;
        });
        const headEnd = c.data.indexOf('\r\n\r\n') + 4;
        let got = c.data.subarray(headEnd);
        if (chunked) {
          const parts: Buffer[] = [];
          for (let p = 0; ; ) {
            const eol = got.indexOf('\r\n', p);
            const size = parseInt(got.subarray(p, eol).toString('latin1'), 16);
            if (size === 0) break;
            parts.push(got.subarray(eol + 2, eol + 2 + size));
            p = eol + 2 + size + 2;
          }
          got = Buffer.concat(parts);
        }
        assert.equal(got.length, n);
        assert.ok(got.equals(PATTERN.subarray(0, n)), `${chunked ? 'chunked' : 'length'} ${slow ? 'slow' : 'fast'}: bytes differ`);
      } finally {
        c.close();
      }
    };
    await Promise.all([run(false, false), run(true, false), run(false, true), run(true, true)]);
  });

  test('a client that closes mid-body: the upstream request is abandoned and its connection closed, the proxy serves on', async () => {
    const aborted = abortedBodies;
    const closed = backendClosed;
    const c = new Client();
    await c.write(`POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`);
    await c.write(PATTERN.subarray(0, 1024 * 1024));
    await tick(50);
    c.close();
    for (let i = 0; i < 200 && (abortedBodies === aborted || backendClosed === closed); i++) await tick(10);
    assert.equal(abortedBodies, aborted + 1);
    assert.ok(backendClosed > closed);
    const d = new Client();
    try {
      await d.write('GET /still HTTP/1.1\r\nHost: example.com\r\n\r\n');
      const t = await d.until((x) => x.endsWith('}'));
      assert.deepEqual(bodies(t), [{ url: '/still' }]);
    } finally {
      d.close();
    }
  });

  test('after an early answer, a client that neither sends the rest of its body nor closes is closed after the linger time', async () => {
    const saved = fastTimeouts.lingerMs;
    fastTimeouts.lingerMs = 300;
    const c = new Client(true);
    try {
      await c.write(`POST /early HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`);
      await c.write(PATTERN.subarray(0, 1024 * 1024));
      await c.until((t) => t.includes('\r\n\r\n'));
      assert.deepEqual(statuses(c.text), ['413']);
      await tick(600);
      // A half-open client learns that the proxy is gone only when it sends (a reset comes back).
      for (let i = 0; i < 200 && !c.closed; i++) {
        c.sock.write(PATTERN.subarray(0, 16 * 1024));
        await tick(10);
      }
      assert.equal(c.closed, true, 'the proxy kept the connection open');
    } finally {
      fastTimeouts.lingerMs = saved;
      c.close();
    }
  });

  test('an upstream that answers before reading the body: the answer is relayed and the connection closed', async () => {
    const c = new Client();
    try {
      await c.write(`POST /early HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`);
      c.sock.write(PATTERN.subarray(0, 4 * 1024 * 1024));
      await c.until((t) => t.includes('\r\n\r\n'));
      assert.deepEqual(statuses(c.text), ['413']);
      assert.match(c.text, /connection: close/i);
      for (let i = 0; i < 300 && !c.closed; i++) await tick(10);
      assert.equal(c.closed, true);
    } finally {
      c.close();
    }
    const d = new Client();
    try {
      await d.write('GET /again HTTP/1.1\r\nHost: example.com\r\n\r\n');
      const t = await d.until((x) => x.endsWith('}'));
      assert.deepEqual(bodies(t), [{ url: '/again' }]);
    } finally {
      d.close();
    }
  });
});

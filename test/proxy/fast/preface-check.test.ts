// A cleartext port tells HTTP/2 with prior knowledge from HTTP/1.1 by the first bytes, inside the
// fast connection: the preface arriving in pieces still reaches HTTP/2 with every byte; bytes that
// only start like it, or a first request arriving a byte at a time, are served as HTTP/1.1.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as h2connect } from 'node:http2';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cluster, freePort, httpPort, ir, listener, match, newDataPlane, rule, startBackend, vhost, type Backend } from '../helpers.ts';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/** An empty SETTINGS frame: length 0, type 4, flags 0, stream 0. */
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

const dp = newDataPlane();
let echo: Backend;
let port: number;

before(async () => {
  echo = await startBackend('echo');
  port = await freePort();
  await dp.apply(ir([httpPort(port, [listener('http', [vhost('p.example.com', [rule(match({ type: 'PathPrefix', value: '/' }), 'echo')])])])], [cluster('echo', echo)]));
});

after(async () => {
  await dp.drain(1000);
  await echo.close();
});

/** Writes the pieces with a pause between them; resolves with what came back until `enough` or close. */
async function exchange(pieces: (string | Buffer)[], enough: (got: Buffer) => boolean): Promise<Buffer> {
  const s: Socket = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((r) => s.once('connect', () => r()));
  let got = Buffer.alloc(0);
  const done = new Promise<Buffer>((resolve) => {
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (enough(got)) resolve(got);
    });
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
  });
  for (const p of pieces) {
    s.write(p);
    await sleep(30);
  }
  const out = await Promise.race([done, sleep(5_000).then(() => got)]);
  s.destroy();
  return out;
}

test('the preface in pieces reaches HTTP/2: the server answers with its SETTINGS frame', async () => {
  const pieces = [PREFACE.slice(0, 1), PREFACE.slice(1, 9), PREFACE.slice(9, 20), Buffer.concat([Buffer.from(PREFACE.slice(20), 'latin1'), SETTINGS])];
  const got = await exchange(pieces, (b) => b.length >= 9);
  assert.ok(got.length >= 9, 'an HTTP/2 frame came back');
  assert.equal(got[3], 4, 'the first frame is SETTINGS');
  assert.notEqual(got.subarray(0, 5).toString('latin1'), 'HTTP/', 'not an HTTP/1.1 answer');
});

test('an HTTP/2 client with prior knowledge gets its response', async () => {
  const session = h2connect(`http://127.0.0.1:${port}`);
  try {
    const req = session.request({ ':path': '/x', ':authority': 'p.example.com' });
    const [headers] = await Promise.all([new Promise<Record<string, unknown>>((r) => req.on('response', r)), new Promise((r) => req.on('end', r).resume())]);
    assert.equal(headers[':status'], 200);
  } finally {
    session.close();
  }
});

test('bytes that only start like the preface, and a request a byte at a time, are HTTP/1.1', async () => {
  const request = 'GET /a HTTP/1.1\r\nHost: p.example.com\r\n\r\n';
  const slow = await exchange([...request.slice(0, 6)].concat(request.slice(6)), (b) => b.includes('\r\n\r\n'));
  assert.match(slow.toString('latin1'), /^HTTP\/1\.1 200 /);
  // `PRI *` then something else: not the preface, so an HTTP/1.1 request line (method PRI), which
  // this gateway answers itself rather than leaving the connection waiting.
  const near = await exchange(['PRI * ', 'HTTP/1.1\r\nHost: p.example.com\r\n\r\n'], (b) => b.includes('\r\n\r\n'));
  assert.match(near.toString('latin1'), /^HTTP\/1\.1 [2-5][0-9][0-9] /);
  const put = await exchange(['P', 'UT /b HTTP/1.1\r\nHost: p.example.com\r\nContent-Length: 2\r\n\r\nhi'], (b) => b.includes('\r\n\r\n'));
  assert.match(put.toString('latin1'), /^HTTP\/1\.1 200 /);
});

// How long the raw upstream pool reuses an idle connection: its own limit when the server says
// nothing, the server's `Keep-Alive: timeout=N` less a second when the server says so (a reuse
// after that would race the server's close), and not at all when that leaves nothing; and no more
// idle connections than the pool's cap stay open after a burst.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { FastPool, type Handler } from '../../../src/proxy/fast/upstream-pool.ts';
import { parseResponseHead, ResponseHead } from '../../../src/proxy/fast/parse-response.ts';

function hintOf(keepAlive: string | null): number {
  const head = `HTTP/1.1 200 OK\r\ncontent-length: 0\r\n${keepAlive === null ? '' : `Keep-Alive: ${keepAlive}\r\n`}\r\n`;
  const r = parseResponseHead(Buffer.from(head, 'latin1'), 0);
  assert.ok(r instanceof ResponseHead);
  return r.keepAliveTimeoutS;
}

/** A backend answering every request with `extra` header lines, counting the connections it accepted. */
async function backend(extra: string): Promise<{ server: Server; port: number; connections: () => number; open: () => number }> {
  let n = 0;
  let open = 0;
  const server = createServer((s: Socket) => {
    n++;
    open++;
    s.on('close', () => open--);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n${extra}\r\nok`);
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, connections: () => n, open: () => open };
}

function get(pool: FastPool): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const h: Handler = {
      onConnect: () => {},
      onHeaders: (s) => ((status = s), true),
      onData: () => true,
      onComplete: () => resolve(status),
      onError: reject,
    };
    pool.dispatch({ path: '/', method: 'GET', headers: ['host', 'example.com'] }, h);
  });
}

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

async function setup(extra: string, keepAliveTimeoutMs: number, maxIdle?: number) {
  const b = await backend(extra);
  const inner = new Pool(`http://127.0.0.1:${b.port}`);
  const pool = new FastPool(inner, { address: '127.0.0.1', port: b.port, keepAliveTimeoutMs, connectTimeoutMs: 1000, ...(maxIdle !== undefined ? { maxIdle } : {}) });
  cleanups.push(async () => {
    await pool.destroy();
    await new Promise((r) => b.server.close(r));
  });
  return { pool, connections: b.connections, open: b.open };
}

describe('upstream idle connections', () => {
  test('the Keep-Alive timeout parameter is read from the response head', () => {
    assert.equal(hintOf('timeout=5'), 5);
    assert.equal(hintOf('timeout=5, max=1000'), 5);
    assert.equal(hintOf('max=1000, timeout=7'), 7);
    assert.equal(hintOf('Timeout=3'), 3);
    assert.equal(hintOf(null), -1);
    assert.equal(hintOf('timeout=abc'), -1);
    assert.equal(hintOf('timeouts=5'), -1);
    assert.equal(hintOf('max=5'), -1);
  });

  test('without a hint, an idle connection is reused within the pool limit', async () => {
    const { pool, connections } = await setup('', 10_000);
    assert.equal(await get(pool), 200);
    await sleep(1_200);
    assert.equal(await get(pool), 200);
    assert.equal(connections(), 1);
  });

  test("with a hint, reuse stops a second before the server's timeout", async () => {
    const { pool, connections } = await setup('Keep-Alive: timeout=2\r\n', 10_000);
    assert.equal(await get(pool), 200);
    await sleep(300);
    assert.equal(await get(pool), 200);
    assert.equal(connections(), 1, 'reused within timeout − 1 s');
    await sleep(1_200);
    assert.equal(await get(pool), 200);
    assert.equal(connections(), 2, 'a new connection after timeout − 1 s');
  });

  test('a hint that leaves no time means no reuse; the pool limit still caps a long hint', async () => {
    const short = await setup('Keep-Alive: timeout=1\r\n', 10_000);
    assert.equal(await get(short.pool), 200);
    assert.equal(await get(short.pool), 200);
    assert.equal(short.connections(), 2);
    const capped = await setup('Keep-Alive: timeout=600\r\n', 500);
    assert.equal(await get(capped.pool), 200);
    await sleep(700);
    assert.equal(await get(capped.pool), 200);
    assert.equal(capped.connections(), 2);
  });

  test('after a burst, idle connections beyond the cap are closed; those within it are reused', async () => {
    const { pool, connections, open } = await setup('', 10_000, 2);
    assert.deepEqual(await Promise.all([get(pool), get(pool), get(pool), get(pool), get(pool)]), [200, 200, 200, 200, 200]);
    assert.equal(connections(), 5, 'five at once need five connections');
    for (let i = 0; i < 50 && open() > 2; i++) await sleep(20);
    assert.equal(open(), 2, 'two kept idle');
    assert.deepEqual(await Promise.all([get(pool), get(pool)]), [200, 200]);
    assert.equal(connections(), 5, 'both reused');
  });
});

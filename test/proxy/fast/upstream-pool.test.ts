// The raw upstream pool on its own: a request head it would send is checked (method, path, header
// names and values) unless the caller says the head is already known valid (RequestHead.checked);
// checked or not, a valid request goes through and its response head arrives parsed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'undici';
import { FastPool, type Handler } from '../../../src/proxy/fast/upstream-pool.ts';
import type { ResponseHead } from '../../../src/proxy/fast/parse-response.ts';

let server: Server;
let pool: FastPool;

before(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen': String(req.headers['x-a'] ?? '') });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const inner = new Pool(`http://127.0.0.1:${port}`);
  pool = new FastPool(inner, { address: '127.0.0.1', port, keepAliveTimeoutMs: 1000, connectTimeoutMs: 1000 });
});

after(async () => {
  await pool.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function send(headers: string[], checked?: boolean, raw = false): Promise<{ status: number; headers: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let got: string[] = [];
    let body = '';
    const h: Handler = {
      onConnect: () => {},
      onHeaders: (s, rawHeaders) => {
        status = s;
        got = rawHeaders;
        return true;
      },
      onData: (c) => {
        body += c.toString('latin1');
        return true;
      },
      onComplete: () => resolve({ status, headers: got, body }),
      onError: reject,
    };
    if (raw) {
      h.onRawHeaders = (head: ResponseHead) => {
        status = head.status;
        got = head.rawHeaders; // read during the call: the bytes are reused afterwards
        return true;
      };
    }
    try {
      pool.dispatch({ path: '/x', method: 'GET', headers: ['host', 'example.com', ...headers], checked }, h);
    } catch (err) {
      reject(err);
    }
  });
}

describe('fast upstream pool', () => {
  test('an invalid header value is refused before anything is sent', async () => {
    await assert.rejects(send(['x-a', 'bad\u0001value']), (e: Error & { code?: string }) => e.code === 'UND_ERR_INVALID_ARG');
    await assert.rejects(send(['bad name', 'v']), (e: Error & { code?: string }) => e.code === 'UND_ERR_INVALID_ARG');
  });

  test('a valid request goes through, checked or known valid, with the head parsed either way', async () => {
    for (const checked of [undefined, true]) {
      for (const raw of [false, true]) {
        const r = await send(['x-a', 'fine'], checked, raw);
        assert.equal(r.status, 200);
        assert.equal(r.body, 'ok');
        const i = r.headers.findIndex((n) => n.toLowerCase() === 'x-seen');
        assert.equal(r.headers[i + 1], 'fine');
      }
    }
  });
});

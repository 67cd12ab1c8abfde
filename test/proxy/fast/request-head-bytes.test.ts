// The fast pool's upstream request head is written byte by byte into a buffer sized in advance:
// every byte must be where a plain string concatenation would put it, for every shape of head.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestHead, type DispatchOptions } from '../../../src/proxy/fast/upstream-pool.ts';

function expected(o: DispatchOptions, hostFallback: string, chunked: boolean): string {
  let s = `${o.method} ${o.path} HTTP/1.1\r\n`;
  let host = false;
  for (let i = 0; i < o.headers.length; i += 2) {
    if (o.headers[i]!.toLowerCase() === 'host') host = true;
    s += `${o.headers[i]}: ${o.headers[i + 1]}\r\n`;
  }
  if (!host) s += `host: ${hostFallback}\r\n`;
  if (chunked) s += 'transfer-encoding: chunked\r\n';
  return `${s}\r\n`;
}

const LONG = 'v'.repeat(200);
const cases: [string, DispatchOptions, boolean][] = [
  ['minimal, host fallback', { method: 'GET', path: '/', headers: [] }, false],
  ['host in any case', { method: 'GET', path: '/a?b=c', headers: ['HoSt', 'x.example', 'accept', '*/*'] }, false],
  ['chunked', { method: 'POST', path: '/up', headers: ['host', 'x.example'] }, true],
  ['chunked, no host', { method: 'PUT', path: '/p', headers: ['a', ''] }, true],
  ['long path and values', { method: 'OPTIONS', path: `/${LONG}`, headers: ['x-long', LONG, 'host', LONG, 'y', 'é\u00ff'] }, false],
  ['unchecked but valid', { method: 'DELETE', path: '/d', headers: ['Host', 'h'], checked: false }, false],
];

for (const [name, o, chunked] of cases) {
  test(`request head bytes: ${name}`, () => {
    for (const checked of [true, false]) {
      const head = requestHead({ ...o, checked }, '10.0.0.1:8080', chunked);
      assert.equal(head.toString('latin1'), expected(o, '10.0.0.1:8080', chunked));
      assert.equal(head.length, Buffer.byteLength(expected(o, '10.0.0.1:8080', chunked), 'latin1'));
    }
  });
}

test('request head: what a filter set is still checked', () => {
  assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['bad name', 'v'] }, 'h'), /invalid header name/);
  assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['n', 'v\r\nx: y'] }, 'h'), /invalid n header value/);
  assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['n', 'snow \u2603'] }, 'h'), /invalid n header value/);
  assert.throws(() => requestHead({ method: 'GET', path: '/a b', headers: [] }, 'h'), /invalid request path/);
  assert.throws(() => requestHead({ method: 'G T', path: '/', headers: [] }, 'h'), /invalid method/);
});

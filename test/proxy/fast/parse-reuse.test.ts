// Parsing with the previous request of the connection (parseRequest's `prev`) reuses its strings
// where the bytes repeat: the result must be exactly what a parse without it gives, whatever
// changed between the two heads, and the previous result must be left as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequest, type ParsedRequest } from '../../../src/proxy/fast/parse-request.ts';

/** A small deterministic generator (no Math.random: a failure must replay). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'get', 'GETX'];
const TARGETS = ['/', '/a', '/a?b=c', '/ab', '/b', '/a?b=d'];
const NAMES = ['Host', 'host', 'Accept', 'X-A', 'x-a', 'Cookie', 'User-Agent'];
const VALUES = ['', 'a', 'b', 'ab', 'h.example', 'é', 'v1, v2'];

function randomHead(r: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  // Now and then a head that is refused (obs-fold) or not complete yet.
  const odd = r();
  if (odd < 0.04) return `GET ${pick(TARGETS)} HTTP/1.1\r\nHost: h.example\r\n folded\r\n\r\n`;
  if (odd < 0.08) return `GET ${pick(TARGETS)} HTTP/1.1\r\nHost: h.example\r\n`;
  const method = pick(METHODS);
  let s = `${method} ${pick(TARGETS)} HTTP/1.1\r\nHost: h.example\r\n`;
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const name = pick(NAMES);
    if (name.toLowerCase() === 'host') continue;
    s += `${name}: ${pick(VALUES)}\r\n`;
  }
  return `${s}\r\n`;
}

function snapshot(p: ParsedRequest): string {
  return JSON.stringify(p);
}

test('a parse with the previous request equals a parse without it, and leaves the previous one alone', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    let prev: ParsedRequest | null = null;
    let lastHead = '';
    let slot: ParsedRequest | null = null;
    // Repeats are likely (few choices), so both reuse and divergence at every position occur.
    for (let i = 0; i < 300; i++) {
      const head = r() < 0.4 && i > 0 ? lastHead : randomHead(r);
      lastHead = head;
      const buf = Buffer.from(head, 'latin1');
      const before: string | null = prev === null ? null : snapshot(prev);
      const fresh = parseRequest(buf, 0);
      const reused = parseRequest(buf, 0, prev);
      assert.deepEqual(reused, fresh, `seed ${seed} step ${i}: ${JSON.stringify(head)}`);
      if (prev !== null) assert.equal(snapshot(prev), before, `seed ${seed} step ${i}: the previous result changed`);
      if (typeof reused === 'object') prev = reused;
      // The connection's way: the previous result is also the object filled (left alone on a non-head).
      const slotBefore: string | null = slot === null ? null : snapshot(slot);
      const inPlace = parseRequest(buf, 0, slot, buf.length, slot);
      if (typeof inPlace === 'object') {
        assert.deepEqual({ ...inPlace }, fresh, `seed ${seed} step ${i}, in place`);
        if (slot !== null) assert.equal(inPlace, slot, 'the object given is the one filled');
        slot = inPlace;
      } else {
        assert.equal(inPlace, fresh);
        if (slot !== null) assert.equal(snapshot(slot), slotBefore, 'a failed parse leaves the object alone');
      }
    }
  }
});

test('a repeated head reuses the previous strings and header list', () => {
  const head = Buffer.from('GET /x?y HTTP/1.1\r\nHost: h.example\r\nAccept: */*\r\n\r\n', 'latin1');
  const a = parseRequest(head, 0) as ParsedRequest;
  const b = parseRequest(head, 0, a) as ParsedRequest;
  assert.equal(b.rawHeaders, a.rawHeaders);
  assert.equal(b.target, a.target);
  const c = parseRequest(Buffer.from('GET /x?y HTTP/1.1\r\nHost: h.example\r\nAccept: text/html\r\n\r\n', 'latin1'), 0, b) as ParsedRequest;
  assert.notEqual(c.rawHeaders, a.rawHeaders);
  assert.deepEqual(c.rawHeaders, ['Host', 'h.example', 'Accept', 'text/html']);
  assert.deepEqual(a.rawHeaders, ['Host', 'h.example', 'Accept', '*/*']);
  // Fewer fields than before: a list of its own, not the previous one.
  const d = parseRequest(Buffer.from('GET /x?y HTTP/1.1\r\nHost: h.example\r\n\r\n', 'latin1'), 0, a) as ParsedRequest;
  assert.deepEqual(d.rawHeaders, ['Host', 'h.example']);
  assert.equal(a.rawHeaders.length, 4);
});

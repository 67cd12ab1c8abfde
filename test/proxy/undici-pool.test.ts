// src/proxy/upstream/cluster.ts loads undici's Pool from its own module (lib/dispatcher/pool.js)
// to spare every start the rest of the package. That path is not undici's public entry point, so
// this checks it is still the class the package exports: an upgrade that moves it fails here.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Pool } from 'undici';

test("undici's lib/dispatcher/pool.js is the Pool the package exports", () => {
  const direct = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js');
  assert.equal(direct, Pool);
});

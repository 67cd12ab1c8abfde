// node:http's values, loaded through require(). An ES-module import of a built-in builds its
// namespace by reading every export, and node:http's `WebSocket` getter then loads Node's bundled
// WebSocket client: 80–90 ms of CPU at every start (measured: `await import('node:http')` 82–92 ms,
// `createRequire(...)('node:http')` 8 ms). Types come from `import type` as usual.
import { createRequire } from 'node:module';

const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export const createServer = http.createServer;
export const STATUS_CODES = http.STATUS_CODES;

// Loopback helpers: free ports chosen by the OS, and bounded HTTP probes.
import { createServer } from 'node:net';
import { Agent, request } from 'node:http';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One GET on 127.0.0.1:port with a Host header; resolves with the status or 0 on a socket error. */
export function get(port: number, host: string, path: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host }, agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until GET answers 200, every pollMs, for at most timeoutMs. Returns the milliseconds from
 * `since` (a performance.now() value) to the first 200, or null on timeout or when `abort` says so.
 */
export async function waitFor200(
  port: number,
  host: string,
  path: string,
  opts: { since: number; timeoutMs: number; pollMs?: number; abort?: () => string | null },
): Promise<number | null> {
  const deadline = opts.since + opts.timeoutMs;
  for (let i = 0; i < 1_000_000; i++) {
    if (opts.abort?.()) return null;
    const status = await get(port, host, path, 1000);
    if (status === 200) return performance.now() - opts.since;
    if (performance.now() > deadline) return null;
    await sleep(opts.pollMs ?? 1);
  }
  return null;
}

export function closeAgent(): void {
  agent.destroy();
}

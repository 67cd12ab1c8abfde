// A port that is free right now on 127.0.0.1, for tests that must name a port before something
// binds it (a manifest, a command line).
//
// Picked below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768–60999 by default):
// a port found by binding port 0 comes from that range, and between closing it and the test's own
// bind, any outgoing connection of the machine (the tests make thousands) may take it as its source
// port — a test then fails with EADDRINUSE now and then. Below the range only another listener can
// take it. Each process walks that span from a random start, one port after another (checked by
// binding it), so it never hands out the same port twice and two test processes rarely meet; where
// the range leaves no room below it, the kernel's choice (port 0) is used as before.
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

const SPAN = 12_000;
/** The next offset into the span this process tries (random at first use). */
let nextOffset = -1;

/** The first port of the ephemeral range, or null when it cannot be read. */
function ephemeralStart(): number | null {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : null;
  } catch {
    return null;
  }
}

/** Binds port (0 = any) on 127.0.0.1 and closes again; resolves to the port, or null if it was taken. */
function probe(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as AddressInfo).port;
      s.close(() => resolve(got));
    });
  });
}

export async function freePort(): Promise<number> {
  const start = ephemeralStart();
  if (start !== null && start - SPAN >= 1024) {
    if (nextOffset < 0) nextOffset = Math.floor(Math.random() * SPAN);
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await probe(start - SPAN + (nextOffset++ % SPAN));
      if (port !== null) return port;
    }
  }
  const port = await probe(0);
  if (port === null) throw new Error('no free port on 127.0.0.1');
  return port;
}

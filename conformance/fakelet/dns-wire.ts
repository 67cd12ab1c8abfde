// Just enough of the DNS wire format (RFC 1035) for the stand-in: read the question,
// answer A queries inside whoami zones with the client address, refuse the rest.

/** Zones of Corefile server blocks that contain the `whoami` plugin. */
export function whoamiZones(corefile: string): string[] {
  const zones: string[] = [];
  const blockRe = /([^\s{}]+)\s*\{([^}]*)\}/g;
  for (let m; (m = blockRe.exec(corefile)); ) {
    if (!/^\s*whoami\b/m.test(m[2])) continue;
    for (const key of m[1].split(/\s+/)) {
      const zone = key.replace(/^dns:\/\//, '').replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
      zones.push(zone === '' ? '.' : zone);
    }
  }
  return zones;
}

export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  for (let guard = 0; guard < 128; guard++) {
    const len = buf[i];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return { name: labels.join('.').toLowerCase(), end: i + 1 };
    if ((len & 0xc0) !== 0) throw new Error('compressed name in question');
    labels.push(buf.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  throw new Error('name too long');
}

function inZone(name: string, zones: string[]): boolean {
  return zones.some((z) => z === '.' || name === z || name.endsWith(`.${z}`));
}

/** Builds the reply for a query, or null for something that is not a query. */
export function answer(query: Buffer, client: string, zones: string[]): Buffer | null {
  if (query.length < 12 || (query[2] & 0x80) !== 0) return null;
  const qdcount = query.readUInt16BE(4);
  let q: { name: string; end: number };
  try {
    if (qdcount !== 1) throw new Error('one question only');
    q = readName(query, 12);
  } catch {
    return header(query, 1 /* FORMERR */, 0, 0);
  }
  const qtype = query.readUInt16BE(q.end);
  const question = query.subarray(12, q.end + 4);
  if (!inZone(q.name, zones)) return Buffer.concat([header(query, 5 /* REFUSED */, 1, 0), question]);
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(client.replace(/^::ffff:/, ''));
  if (qtype !== 1 || !v4) return Buffer.concat([header(query, 0, 1, 0), question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  rr.writeUInt16BE(1, 2); // type A
  rr.writeUInt16BE(1, 4); // class IN
  rr.writeUInt32BE(0, 6); // TTL 0, as whoami does
  rr.writeUInt16BE(4, 10);
  for (let i = 0; i < 4; i++) rr[12 + i] = Number(v4[i + 1]);
  return Buffer.concat([header(query, 0, 1, 1), question, rr]);
}

function header(query: Buffer, rcode: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  query.copy(h, 0, 0, 2); // ID
  // QR=1, opcode and RD copied from the query, AA=1, RA=0.
  h[2] = 0x80 | (query[2] & 0x79) | 0x04;
  h[3] = rcode & 0x0f;
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

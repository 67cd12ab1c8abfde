// Test PKI made with the openssl CLI in a temporary directory: one CA, and leaf certificates for
// the names a test asks for (SAN DNS entries, first name also the CN).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Leaf {
  certPem: string;
  keyPem: string;
}

export class TestCA {
  readonly dir = mkdtempSync(join(tmpdir(), 'wicket-pki-'));
  readonly certPem: string;
  private n = 0;

  constructor() {
    this.openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Wicket Test CA']);
    this.certPem = readFileSync(join(this.dir, 'ca.crt'), 'utf8');
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  /** A leaf for these DNS names (and URI SANs given as `URI:...`). */
  leaf(names: string[], opts: { clientAuth?: boolean } = {}): Leaf {
    const id = `leaf${this.n++}`;
    const cn = names.find((n) => !n.startsWith('URI:')) ?? 'client';
    const san = names.map((n) => (n.startsWith('URI:') ? n : `DNS:${n}`)).join(',');
    writeFileSync(
      join(this.dir, `${id}.ext`),
      `subjectAltName=${san}\nextendedKeyUsage=${opts.clientAuth ? 'clientAuth' : 'serverAuth'}\nbasicConstraints=CA:FALSE\n`,
    );
    this.openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${cn}`]);
    this.openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.crt`, '-days', '2', '-extfile', `${id}.ext`]);
    return { certPem: readFileSync(join(this.dir, `${id}.crt`), 'utf8'), keyPem: readFileSync(join(this.dir, `${id}.key`), 'utf8') };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

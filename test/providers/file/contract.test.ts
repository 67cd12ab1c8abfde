// The provider contract (test/providers/contract.ts) run against the file provider: one manifest
// file per object in a watched directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FileProvider } from '../../../src/providers/file/index.ts';
import { providerContract } from '../contract.ts';

providerContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wicket-contract-'));
  const file = (kind: string, ns: string, name: string) => join(dir, `${kind}-${ns}-${name}.yaml`);
  return {
    provider: new FileProvider({ paths: [dir], quietMs: 5, maxDelayMs: 50 }),
    apply: (o) => writeFile(file(o.kind, o.metadata.namespace ?? '', o.metadata.name), stringify(o)),
    delete: (kind, ns, name) => rm(file(kind, ns, name)),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

// Config and manifest files are replaced whole: written under a temporary name in the same
// directory, then renamed over the old one, so a reader (a reloading peer, Wicket's watcher) sees
// the old file or the new one, never half of one.
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let seq = 0;

export function writeAtomic(file: string, text: string): void {
  // A dot-name without a .yaml ending: the file provider does not read it.
  const tmp = join(dirname(file), `.${process.pid}-${seq++}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

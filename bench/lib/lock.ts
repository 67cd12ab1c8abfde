// One bench run at a time on a machine: two runs would load the same cores and measure each other,
// and a second run must never touch the first one's processes or files. The lock is a file holding
// the owner's PID; a lock whose PID is gone is stale and taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws naming the run that holds it. Returns a release function. */
export function takeLock(file: string): () => void {
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new Error(`another bench run (pid ${holder}) is in progress; two at once would measure each other (lock: ${file})`);
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the bench lock ${file}`);
}

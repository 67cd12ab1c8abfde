// Which Wicket the bench measures: the working tree by default, or, with `--wicket-ref REF`, the
// sources of a commit unpacked under bench/.work/ (with the checkout's node_modules linked in). In
// a checkout shared with people editing src/, a ref keeps a run from measuring half an edit, and
// the result file names exactly what was measured.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let root = REPO;

/** Directory whose CLI is run (and whose modules the micro-benchmarks load). */
export function wicketRoot(): string {
  return root;
}

/** Unpacks src/ and package.json of `ref` into `dir` and measures that from now on; returns the commit. */
export function useWicketRef(ref: string, dir: string): string {
  const commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git -C "$1" archive --format=tar "$2" src package.json tsconfig.json tsconfig.build.json | tar -x -C "$3"`, 'sh', REPO, commit, dir]);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  root = dir;
  built = false;
  return commit;
}

let built = false;

/**
 * The CLI as users run it (`npx wicket` runs the JavaScript that `npm install` compiles into
 * dist/), compiled once per bench run so it is never stale. Running the TypeScript sources
 * instead would add Node's type stripping to the measured process (about 30 MB of RSS).
 */
export function wicketEntry(): string {
  if (!built) {
    execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    built = true;
  }
  return join(root, 'dist/cli/main.js');
}

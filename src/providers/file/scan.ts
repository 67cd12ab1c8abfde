// Finds the manifest files under the paths given with `-f`: a file is taken as is (whatever its
// extension, since the user named it); a directory is walked recursively for *.yaml, *.yml and
// *.json files. Hidden entries (dot files, editor swap files) are skipped in directories.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

export interface ScanResult {
  /** Manifest files found, absolute paths, sorted so objects are read in a stable order. */
  files: string[];
  /** Every directory walked, so the watcher can watch each one. */
  directories: string[];
  /** Roots that could not be read (missing, permission), with the error message. */
  missing: { path: string; message: string }[];
}

export function scanPaths(paths: string[]): ScanResult {
  const files = new Set<string>();
  const directories = new Set<string>();
  const missing: ScanResult['missing'] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch (err) {
      missing.push({ path: abs, message: (err as Error).message });
      continue;
    }
    if (st.isDirectory()) walk(abs, files, directories, 0);
    else files.add(abs);
  }
  return { files: [...files].sort(), directories: [...directories].sort(), missing };
}

// Depth is bounded so a symlink loop cannot make the walk run forever.
const MAX_DEPTH = 32;

function walk(dir: string, files: Set<string>, dirs: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH || dirs.has(dir)) return;
  dirs.add(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // vanished between the event and the walk: the next event rescans
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) walk(full, files, dirs, depth + 1);
    else if (isFile && MANIFEST_EXT.test(e.name)) files.add(full);
  }
}

// Finds the manifest files under the paths given with `-f`: a file is taken as is (whatever its
// extension, since the user named it); a directory is walked recursively for *.yaml, *.yml and
// *.json files. Hidden entries (dot files, editor swap files) are skipped in directories.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Whether a directory entry of this name is read as a manifest (not hidden, a manifest extension). */
export function isManifestName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXT.test(name);
}

export interface ScanResult {
  /** Manifest files found, absolute paths, sorted so objects are read in a stable order. */
  files: string[];
  /** Every directory walked, so the watcher can watch each one. */
  directories: string[];
  /**
   * Directories with a symbolic link among their entries: what a link there points to can change
   * through any entry, hidden ones included (a ConfigMap volume swaps its `..data` link).
   */
  linkDirs: string[];
  /** Roots that could not be read (missing, permission), with the error message. */
  missing: { path: string; message: string }[];
}

export function scanPaths(paths: string[]): ScanResult {
  const files = new Set<string>();
  const directories = new Set<string>();
  const linkDirs = new Set<string>();
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
    if (st.isDirectory()) walk(abs, files, directories, linkDirs, 0);
    else files.add(abs);
  }
  return { files: [...files].sort(), directories: [...directories].sort(), linkDirs: [...linkDirs], missing };
}

// Depth is bounded so a symlink loop cannot make the walk run forever.
const MAX_DEPTH = 32;

function walk(dir: string, files: Set<string>, dirs: Set<string>, linkDirs: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH || dirs.has(dir)) return;
  dirs.add(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // vanished between the event and the walk: the next event rescans
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // hidden entries: neither read nor walked
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      linkDirs.add(dir);
      try {
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) walk(full, files, dirs, linkDirs, depth + 1);
    else if (isFile && MANIFEST_EXT.test(e.name)) files.add(full);
  }
}

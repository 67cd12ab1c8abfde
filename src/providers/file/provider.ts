// The file provider: reads manifests from the paths given with `-f`, watches them, and emits a
// consistent snapshot after every burst of changes.
//
// Bad edits never lose state. Each file keeps the objects it last served; when a new version of
// the file has problems, its valid objects are taken and every object it served before that is not
// among them (because it no longer parses or validates) keeps serving at its last good version.
// Once the file is clean again, its objects are exactly what it says (so deletions within a file
// take effect). Deleting a file removes its objects.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ErrorCodes } from '../../errors.ts';
import { logger } from '../../log.ts';
import type { Diagnostic } from '../../resources/diagnostic.ts';
import { emptySnapshot, SNAPSHOT_FIELD, type Snapshot } from '../../resources/snapshot.ts';
import type { AnyObject } from '../../resources/types.ts';
import type { ObjectStatus } from '../../translate/api.ts';
import type { Provider, SnapshotUpdate } from '../api.ts';
import { debounce, type Debouncer } from './debounce.ts';
import { MetadataTracker, objectKey } from './metadata.ts';
import { loaderParser } from './loader-parser.ts';
import type { FileParser } from './parse-file.ts';
import { isManifestName, scanPaths } from './scan.ts';
import { DirectoryWatcher } from './watch.ts';

export interface FileProviderOptions {
  /** Files and directories given with `-f`. */
  paths: string[];
  /** Parses one file; defaults to the loader's parser. */
  parse?: FileParser;
  /**
   * Quiet window that ends a burst of change events (default 10 ms). A file created, removed or
   * renamed into place while no reload is running is read at once (see debounce.ts).
   */
  quietMs?: number;
  /** Longest a burst can delay a reload (default 100 ms). */
  maxDelayMs?: number;
  /** Clock for first-read timestamps (tests pin it). */
  now?: () => Date;
  /** Watch for changes (default true); `wicket validate`-like one-shot uses may turn it off. */
  watch?: boolean;
}

/**
 * How long a file that turned empty must stay unwritten before it counts as empty. Generous: on a
 * busy machine the writer can stall between truncating and writing; emptying a file on purpose is
 * rare, and deleting it takes effect at once.
 */
const EMPTY_RECHECK_MS = 250;

function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

interface FileState {
  /**
   * SHA-256 of the text this state was parsed from: a file read again with the same text needs no
   * parse. A digest rather than the text, since the text is kept for every file while it serves
   * (~330 bytes a route at 5,000 routes, one file each).
   */
  digest: string;
  /** stat() when the text was read: an unchanged, settled stat means the file need not be read again. */
  stat?: string;
  /** Objects this file serves: the last good version of each. */
  objects: AnyObject[];
  diagnostics: Diagnostic[];
  /** objectKey() of each of `objects`, computed once per version of the file. */
  keys?: string[];
  /**
   * The stamped copies of `objects` by snapshot field, while no object is defined twice (see
   * #assemble): a reload after one file changed stamps only that file's objects.
   */
  stamped?: [keyof Snapshot, AnyObject[]][];
}

/** What the last full scan found: which changed paths a reload can look at alone. */
interface Scope {
  /** The paths given with `-f`, resolved, and those of them that are files. */
  roots: Set<string>;
  rootFiles: Set<string>;
  /** Every directory walked, and those with symbolic links among their entries. */
  dirs: Set<string>;
  linkDirs: Set<string>;
}

export class FileProvider implements Provider {
  readonly #opts: Required<Omit<FileProviderOptions, 'now'>>;
  readonly #files = new Map<string, FileState>();
  /** The files that have a state, in the order a scan lists them (sorted): objects are read in it. */
  readonly #order: string[] = [];
  readonly #metadata: MetadataTracker;
  #watcher: DirectoryWatcher | undefined;
  #debouncer: Debouncer | undefined;
  #onUpdate: ((u: SnapshotUpdate) => void) | undefined;
  #statuses: ObjectStatus[] = [];
  /** Paths that change events named since the last reload, and whether an event named none. */
  #dirty = new Set<string>();
  #rescan = true;
  #scope: Scope | undefined;
  /** Roots the last full scan could not read. */
  #missing: Diagnostic[] = [];
  #lastMissing = '';
  #emitted = false;
  /** How many files' objects claim each object key, and how many keys more than one claims. */
  readonly #claims = new Map<string, number>();
  #contested = 0;

  constructor(opts: FileProviderOptions) {
    this.#opts = {
      paths: opts.paths,
      parse: opts.parse ?? loaderParser,
      quietMs: opts.quietMs ?? 10,
      maxDelayMs: opts.maxDelayMs ?? 100,
      watch: opts.watch ?? true,
    };
    this.#metadata = new MetadataTracker(opts.now);
  }

  async start(onUpdate: (update: SnapshotUpdate) => void): Promise<void> {
    this.#onUpdate = onUpdate;
    if (this.#opts.watch) {
      this.#debouncer = debounce(
        () => this.#reload().catch((err: unknown) => logger.error('reading manifests failed; the last snapshot stays in force', { err: err as Error })),
        this.#opts.quietMs,
        this.#opts.maxDelayMs,
      );
      this.#watcher = new DirectoryWatcher((atOnce, path) => {
        if (path === undefined) this.#rescan = true;
        else this.#dirty.add(path);
        this.#debouncer?.trigger(atOnce);
      });
    }
    await this.#reload();
  }

  /** The file provider has nowhere to write status; it keeps the last statuses for inspection. */
  async publishStatus(statuses: ObjectStatus[]): Promise<void> {
    this.#statuses = statuses;
  }

  lastStatuses(): ObjectStatus[] {
    return this.#statuses;
  }

  /** Resolves once pending change events have been read (tests use it). */
  async settled(): Promise<void> {
    await this.#debouncer?.idle();
  }

  async stop(): Promise<void> {
    this.#debouncer?.close();
    this.#watcher?.close();
    this.#onUpdate = undefined;
  }

  /**
   * Reads what changed and emits a snapshot if anything did. When every event since the last
   * reload named its path (the usual case), only those paths are looked at; otherwise (start, an
   * event without a name, a directory appearing or vanishing) the paths given are scanned again.
   */
  async #reload(): Promise<void> {
    const started = performance.now();
    const changed = new Set<string>();
    const gone = new Set<string>();
    const touched = this.#rescan ? null : this.#touched();
    let scanned = 0;
    if (touched === null) {
      this.#rescan = false;
      this.#dirty.clear();
      const scan = scanPaths(this.#opts.paths);
      scanned = scan.files.length;
      this.#missing = scan.missing.map((m) => ({ code: ErrorCodes.READ, file: m.path, message: `cannot read: ${m.message}` }));
      const roots = new Set(this.#opts.paths.map((p) => resolve(p)));
      this.#scope = { roots, rootFiles: new Set(scan.files.filter((f) => roots.has(f))), dirs: new Set(scan.directories), linkDirs: new Set(scan.linkDirs) };
      const listed = new Set(scan.files);
      for (const file of [...this.#files.keys()]) if (!listed.has(file)) this.#setState(file, undefined, changed, gone);
      for (const file of scan.files) this.#refresh(file, changed, gone);
      if (this.#watcher?.update(this.#opts.paths, scan.directories)) {
        // Files may have landed in a newly watched directory before its watcher existed.
        this.#rescan = true;
        this.#debouncer?.trigger(true);
      }
    } else {
      for (const file of touched) this.#refresh(file, changed, gone);
    }
    const missing = JSON.stringify(this.#missing);
    if (this.#emitted && changed.size === 0 && missing === this.#lastMissing) return;
    this.#lastMissing = missing;
    this.#emitted = true;
    const update = this.#assemble(changed, gone);
    logger.debug('manifests read', { files: this.#order.length, scanned, read: changed.size, problems: update.diagnostics.length, ms: round(performance.now() - started) });
    try {
      this.#onUpdate?.(update);
    } catch (err) {
      logger.error('snapshot consumer failed', { err: err as Error });
    }
  }

  /** The manifest files among the paths events named, or null when a full scan is needed. */
  #touched(): string[] | null {
    const scope = this.#scope;
    if (scope === undefined) return null;
    const files: string[] = [];
    for (const path of this.#dirty) {
      if (scope.dirs.has(path)) return null; // a walked directory itself moved or went
      const dir = dirname(path);
      const root = scope.roots.has(path);
      if (!root) {
        if (scope.linkDirs.has(dir)) return null; // a link there may now point elsewhere, whatever entry the event names
        // Not ours: a sibling of a root file, a hidden or temporary file (no stat needed).
        if (!scope.dirs.has(dir) || basename(path).startsWith('.')) continue;
      }
      let isDir = false;
      let exists = true;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        exists = false;
      }
      if (root) {
        // A root appearing, vanishing (reported as unreadable) or turning into a directory.
        if (isDir || !exists || !scope.rootFiles.has(path)) return null;
        files.push(path);
      } else {
        if (isDir) return null; // a new directory to walk
        if (isManifestName(basename(path)) && (exists || this.#files.has(path))) files.push(path);
      }
    }
    this.#dirty.clear();
    return files;
  }

  /** Reads one file again if its stat says it may have changed; notes a changed or removed state. */
  #refresh(file: string, changed: Set<string>, gone: Set<string>): void {
    const prev = this.#files.get(file);
    const stat = statKey(file);
    // Removed (or unreadable) between the event and the read: treated as deleted.
    if (stat === null) return this.#setState(file, undefined, changed, gone);
    // Only files whose stat changed are read again.
    if (prev && prev.stat !== undefined && prev.stat === stat) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return this.#setState(file, undefined, changed, gone);
    }
    const settled = settledStat(stat);
    const digest = textDigest(text);
    if (prev && prev.digest === digest) {
      prev.stat = settled;
      return;
    }
    if (this.#looksMidWrite(file, text, prev)) return;
    this.#setState(file, { ...this.#parseFile(file, text, digest, prev), stat: settled }, changed, gone);
  }

  /** Replaces (or with undefined, removes) a file's state, keeping the order and the key claims. */
  #setState(file: string, st: FileState | undefined, changed: Set<string>, gone: Set<string>): void {
    const prev = this.#files.get(file);
    if (prev === undefined && st === undefined) return;
    if (prev !== undefined) for (const k of keysOf(prev)) this.#claim(k, -1, gone);
    if (st !== undefined) {
      for (const k of keysOf(st)) this.#claim(k, 1, gone);
      this.#files.set(file, st);
      if (prev === undefined) this.#order.splice(sortedIndex(this.#order, file), 0, file);
    } else {
      this.#files.delete(file);
      this.#order.splice(sortedIndex(this.#order, file), 1);
    }
    changed.add(file);
  }

  #claim(key: string, delta: number, gone: Set<string>): void {
    const before = this.#claims.get(key) ?? 0;
    const n = before + delta;
    if (before > 1 !== n > 1) this.#contested += n > 1 ? 1 : -1;
    if (n > 0) this.#claims.set(key, n);
    else this.#claims.delete(key);
    if (n === 0) gone.add(key);
    else if (before === 0) gone.delete(key);
  }

  /**
   * The snapshot and problems of the files in force. While no object is defined twice (the usual
   * case), each file keeps its stamped objects and only the changed files' are stamped: the rest is
   * concatenation. Otherwise the first definition (in file order) wins and the others are reported.
   */
  #assemble(changed: Set<string>, gone: Set<string>): SnapshotUpdate {
    const diagnostics: Diagnostic[] = [...this.#missing];
    const snapshot = emptySnapshot();
    if (this.#contested === 0) {
      const fresh: FileState[] = [];
      const objects: AnyObject[] = [];
      for (const file of this.#order) {
        const st = this.#files.get(file)!;
        if (st.stamped !== undefined) continue;
        fresh.push(st);
        objects.push(...st.objects);
      }
      const stamped = this.#metadata.stampSome(objects, gone);
      let at = 0;
      for (const st of fresh) {
        st.stamped = byField(stamped.slice(at, at + st.objects.length));
        at += st.objects.length;
      }
      for (const file of this.#order) {
        const st = this.#files.get(file)!;
        if (st.diagnostics.length > 0) diagnostics.push(...st.diagnostics);
        for (const [field, list] of st.stamped!) (snapshot[field] as AnyObject[]).push(...list);
      }
      return { snapshot, diagnostics };
    }
    const objects: AnyObject[] = [];
    const owner = new Map<string, string>();
    for (const file of this.#order) {
      const st = this.#files.get(file)!;
      st.stamped = undefined; // stamped below with every object; the fast path restamps per file
      diagnostics.push(...st.diagnostics);
      const keys = keysOf(st);
      for (let i = 0; i < st.objects.length; i++) {
        const o = st.objects[i]!;
        const key = keys[i]!;
        const first = owner.get(key);
        if (first !== undefined) {
          diagnostics.push({
            code: ErrorCodes.DUPLICATE_OBJECT,
            file,
            kind: o.kind,
            namespace: o.metadata.namespace,
            name: o.metadata.name,
            message: `already defined in ${first}; this copy is ignored`,
          });
          continue;
        }
        owner.set(key, file);
        objects.push(o);
      }
    }
    for (const [field, list] of byField(this.#metadata.stamp(objects))) (snapshot[field] as AnyObject[]).push(...list);
    return { snapshot, diagnostics };
  }

  /**
   * Writing a file in place truncates it first: a read in between sees it empty, which would
   * delete its objects for a moment. A file that had objects and reads empty is only taken as
   * empty once nobody has written it for EMPTY_RECHECK_MS (its mtime says so); until then its
   * objects keep serving and a re-read is scheduled.
   */
  #looksMidWrite(file: string, text: string, prev: FileState | undefined): boolean {
    if (text.trim() !== '' || !prev || prev.objects.length === 0) return false;
    let age: number;
    try {
      age = Date.now() - statSync(file).mtimeMs;
    } catch {
      return false; // gone: the next scan treats it as deleted
    }
    if (age >= EMPTY_RECHECK_MS) return false;
    const t = setTimeout(() => {
      this.#dirty.add(file);
      this.#debouncer?.trigger(true);
    }, EMPTY_RECHECK_MS - Math.max(0, age) + 1);
    t.unref();
    return true;
  }

  #parseFile(file: string, text: string, digest: string, prev: FileState | undefined): FileState {
    let parsed;
    try {
      parsed = this.#opts.parse(file, text);
    } catch (err) {
      parsed = { objects: [], diagnostics: [{ code: ErrorCodes.PARSE, file, message: (err as Error).message }] };
    }
    if (parsed.diagnostics.length === 0 || !prev) return { digest, ...parsed };
    const fresh = new Set(parsed.objects.map(objectKey));
    const kept = prev.objects.filter((o) => !fresh.has(objectKey(o)));
    // A problem that names no object (a document that does not parse) is charged to every object
    // kept at its last good version that no other problem names, so /status can show it on them.
    const named = new Set(parsed.diagnostics.filter((d) => d.kind && d.name).map((d) => `${d.kind}/${d.namespace ?? ''}/${d.name}`));
    const unnamed = parsed.diagnostics.filter((d) => !d.kind || !d.name);
    const charged = kept
      .filter((o) => !named.has(objectKey(o)))
      .flatMap((o) => unnamed.map((d) => ({ ...d, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })));
    return { digest, objects: [...parsed.objects, ...kept], diagnostics: [...parsed.diagnostics.filter((d) => d.kind && d.name), ...charged, ...(charged.length ? [] : unnamed)] };
  }
}

/** Objects grouped by snapshot field, each group in the order given. */
function byField(objects: AnyObject[]): [keyof Snapshot, AnyObject[]][] {
  const groups = new Map<keyof Snapshot, AnyObject[]>();
  for (const o of objects) {
    const field = SNAPSHOT_FIELD[o.kind];
    const list = groups.get(field);
    if (list === undefined) groups.set(field, [o]);
    else list.push(o);
  }
  return [...groups];
}

function keysOf(st: FileState): string[] {
  return (st.keys ??= st.objects.map(objectKey));
}

/** Where `s` is or would go in the sorted list `list` (the order Array.prototype.sort gives strings). */
function sortedIndex(list: readonly string[], s: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A file's identity and version as far as stat() tells (inode, size, mtime and ctime in ns), or
 * null when it cannot be stat'ed.
 */
function statKey(file: string): string | null {
  let st: BigIntStats;
  try {
    st = statSync(file, { bigint: true });
  } catch {
    return null;
  }
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * The stat key worth remembering: a file written within the last second could be written again
 * with the same size and timestamp (coarse file system clocks), so its stat is not trusted and it
 * is read again next time (the "racily clean" rule).
 */
function settledStat(key: string): string | undefined {
  const ctimeNs = BigInt(key.slice(key.lastIndexOf(':') + 1));
  return BigInt(Date.now()) * 1_000_000n - ctimeNs > 1_000_000_000n ? key : undefined;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

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
import { scanPaths } from './scan.ts';
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
}

export class FileProvider implements Provider {
  readonly #opts: Required<Omit<FileProviderOptions, 'now'>>;
  readonly #files = new Map<string, FileState>();
  readonly #metadata: MetadataTracker;
  #watcher: DirectoryWatcher | undefined;
  #debouncer: Debouncer | undefined;
  #onUpdate: ((u: SnapshotUpdate) => void) | undefined;
  /** What the last update held: its objects (compared by identity) and its diagnostics (as JSON). */
  #lastObjects: AnyObject[] | undefined;
  #lastDiagnostics = '';
  #statuses: ObjectStatus[] = [];

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
      this.#watcher = new DirectoryWatcher((atOnce) => this.#debouncer?.trigger(atOnce));
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

  async #reload(): Promise<void> {
    const started = performance.now();
    const scan = scanPaths(this.#opts.paths);
    const diagnostics: Diagnostic[] = scan.missing.map((m) => ({
      code: ErrorCodes.READ,
      file: m.path,
      message: `cannot read: ${m.message}`,
    }));

    const seen = new Set<string>();
    for (const file of scan.files) {
      const prev = this.#files.get(file);
      const stat = statKey(file);
      if (stat === null) continue; // removed between the scan and the read: treated as deleted
      // Only files whose stat changed are read again: a reload after one file changed reads that file.
      if (prev && prev.stat !== undefined && prev.stat === stat) {
        seen.add(file);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // removed between the scan and the read: treated as deleted
      }
      seen.add(file);
      const settled = settledStat(stat);
      const digest = textDigest(text);
      if (prev && prev.digest === digest) {
        prev.stat = settled;
        continue;
      }
      if (this.#looksMidWrite(file, text, prev)) continue;
      this.#files.set(file, { ...this.#parseFile(file, text, digest, prev), stat: settled });
    }
    for (const file of [...this.#files.keys()]) if (!seen.has(file)) this.#files.delete(file);

    const objects: AnyObject[] = [];
    const owner = new Map<string, string>();
    for (const file of scan.files) {
      const st = this.#files.get(file);
      if (!st) continue;
      diagnostics.push(...st.diagnostics);
      const keys = (st.keys ??= st.objects.map(objectKey));
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

    const stamped = this.#metadata.stamp(objects);
    const snapshot = fileSnapshot(stamped);
    if (this.#watcher?.update(this.#opts.paths, scan.directories)) this.#debouncer?.trigger(true);

    const update: SnapshotUpdate = { snapshot, diagnostics };
    // Unchanged objects keep their identity across reloads (files not re-parsed, stamps cached), so
    // "nothing changed" is an identity check rather than a serialisation of the whole snapshot.
    const diagnosticsJson = JSON.stringify(diagnostics);
    if (this.#lastObjects && sameItems(this.#lastObjects, stamped) && diagnosticsJson === this.#lastDiagnostics) return;
    this.#lastObjects = stamped;
    this.#lastDiagnostics = diagnosticsJson;
    logger.debug('manifests read', { files: scan.files.length, problems: diagnostics.length, ms: round(performance.now() - started) });
    try {
      this.#onUpdate?.(update);
    } catch (err) {
      logger.error('snapshot consumer failed', { err: err as Error });
    }
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
    const t = setTimeout(() => this.#debouncer?.trigger(true), EMPTY_RECHECK_MS - Math.max(0, age) + 1);
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

function fileSnapshot(objects: AnyObject[]): Snapshot {
  const s = emptySnapshot();
  for (const o of objects) (s[SNAPSHOT_FIELD[o.kind]] as AnyObject[]).push(o);
  return s;
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

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

// Reading manifests from disk: files and directories → parsed, identified, validated objects, and
// every problem found on the way as a diagnostic. An object with a problem is left out; the rest
// load. `buildSnapshot` files the loaded objects into a Snapshot.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes } from '../errors.ts';
import type { Diagnostic } from './diagnostic.ts';
import { identifyKind, type KindInfo } from './kinds.ts';
import { lineOf, parseManifests, type ParsedDocument } from './parse.ts';
import { emptySnapshot, SNAPSHOT_FIELD, type Snapshot } from './snapshot.ts';
import type { AnyObject } from './types.ts';
import { validateObject } from './validate/index.ts';

export interface LoadedObject {
  object: AnyObject;
  file: string;
  /** 1-based line where the object starts in `file`. */
  line: number;
  /** 1-based line of each field path inside the object (see parse.ts). */
  positions: ReadonlyMap<string, number>;
}

export interface LoadResult {
  objects: LoadedObject[];
  diagnostics: Diagnostic[];
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * The manifest files named by `paths`: a file is taken as given (whatever its extension); a
 * directory contributes every `*.yaml`, `*.yml` and `*.json` below it, recursively, sorted by
 * path, skipping names that start with a dot (editor swap files, `.git`).
 */
export async function collectManifestFiles(paths: string[]): Promise<{ files: string[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const path of paths) {
    try {
      const st = await stat(path);
      if (st.isDirectory()) files.push(...(await walk(path)));
      else files.push(path);
    } catch (err) {
      diagnostics.push(readError(path, err));
    }
  }
  return { files: [...new Set(files)], diagnostics };
}

/**
 * Symbolic links are followed (a mounted ConfigMap is a directory of links into `..data/`), each
 * real directory once, so a link loop ends.
 */
async function walk(dir: string, visited = new Set<string>()): Promise<string[]> {
  const real = await realpath(dir);
  if (visited.has(real)) return [];
  visited.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory());
    if (isDir) out.push(...(await walk(full, visited)));
    else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(full);
  }
  return out;
}

function readError(path: string, err: unknown): Diagnostic {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return { code: ErrorCodes.READ, file: path, message: `cannot read: ${reason}` };
}

export async function loadManifests(paths: string[]): Promise<LoadResult> {
  const { files, diagnostics } = await collectManifestFiles(paths);
  const documents: ParsedDocument[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      diagnostics.push(readError(file, err));
      continue;
    }
    const parsed = parseManifests(text, file);
    documents.push(...parsed.documents);
    diagnostics.push(...parsed.diagnostics);
  }
  const admitted = admitDocuments(documents);
  return { objects: admitted.objects, diagnostics: [...diagnostics, ...admitted.diagnostics] };
}

/**
 * Parsed documents (in path order) → the objects that pass: known kind, valid, not a duplicate of
 * an earlier one. The first of two documents naming the same object is kept.
 */
export function admitDocuments(documents: ParsedDocument[]): LoadResult {
  const objects: LoadedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, ParsedDocument>();
  for (const doc of documents) {
    const at = (field?: string) => ({ file: doc.file, line: lineOf(doc, field) });
    const known = identifyKind(doc.object['apiVersion'], doc.object['kind']);
    if (!('namespaced' in known)) {
      diagnostics.push({ ...known, ...at(known.field), name: metadataName(doc.object) });
      continue;
    }
    const object = normaliseScope(pruneNulls(doc.object) as Record<string, unknown>, known);
    const name = metadataName(object);
    const namespace = known.namespaced ? metadataString(object, 'namespace') : undefined;
    if (name !== undefined) {
      const key = `${known.kind}/${namespace ?? ''}/${name}`;
      const first = seen.get(key);
      if (first) {
        diagnostics.push({
          code: ErrorCodes.DUPLICATE_OBJECT,
          ...at(),
          kind: known.kind,
          namespace,
          name,
          message: `defined twice: here and at ${first.file}:${first.line} (the first one is used)`,
        });
        continue;
      }
      seen.set(key, doc);
    }
    const problems = validateObject(known.kind, object);
    for (const p of problems) {
      diagnostics.push({ code: ErrorCodes.INVALID_OBJECT, ...at(p.field), kind: known.kind, namespace, name: name ?? '?', field: p.field, message: p.message });
    }
    if (problems.length > 0) continue;
    objects.push({ object: applyServerSideFolding(object) as unknown as AnyObject, file: doc.file, line: doc.line, positions: doc.positions });
  }
  return { objects, diagnostics };
}

/** A non-empty string field of metadata, if the object has one (it may be malformed). */
function metadataString(object: Record<string, unknown>, field: 'name' | 'namespace'): string | undefined {
  const meta = object['metadata'];
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  const value = (meta as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function metadataName(object: Record<string, unknown>): string | undefined {
  return metadataString(object, 'name');
}

/**
 * The value without null-valued fields: the API server drops them (for fields that are not
 * nullable, which is all of ours) before validating, so `port: null` means "not set". Parts with
 * no null inside are returned as they are, not copied: a manifest rarely has any, and a copy of
 * every object doubled what start-up allocated here.
 */
function pruneNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const p = pruneNulls(v);
      if (p !== v) (copy ??= value.slice())[i] = p;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const v = record[key];
    if (v === null) {
      copy ??= { ...record };
      delete copy[key];
      continue;
    }
    const p = pruneNulls(v);
    if (p !== v) (copy ??= { ...record })[key] = p;
  }
  return copy ?? value;
}

/**
 * Namespaced kinds without a namespace go to `default`; cluster-scoped kinds lose any namespace
 * they were given — both as the API server does on create. Returns a copy; the input is kept.
 */
function normaliseScope(object: Record<string, unknown>, known: KindInfo): Record<string, unknown> {
  const raw = object['metadata'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return object;
  const metadata = { ...(raw as Record<string, unknown>) };
  if (known.namespaced) {
    if (metadata['namespace'] === undefined || metadata['namespace'] === null || metadata['namespace'] === '') metadata['namespace'] = 'default';
  } else {
    delete metadata['namespace'];
  }
  return { ...object, metadata };
}

/** Secret `stringData` is written into `data` (base64) and dropped, as the API server does. */
function applyServerSideFolding(object: Record<string, unknown>): Record<string, unknown> {
  if (object['kind'] !== 'Secret' || object['stringData'] === undefined || object['stringData'] === null) return object;
  const data: Record<string, string> = { ...((object['data'] as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(object['stringData'] as Record<string, string>)) {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  const { stringData: _dropped, ...rest } = object;
  return { ...rest, data };
}

/** The loaded objects filed by kind, in load order. */
export function buildSnapshot(objects: readonly LoadedObject[]): Snapshot {
  const snapshot = emptySnapshot();
  for (const { object } of objects) {
    (snapshot[SNAPSHOT_FIELD[object.kind]] as AnyObject[]).push(object);
  }
  return snapshot;
}

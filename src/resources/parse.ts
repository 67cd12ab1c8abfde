// Multi-document YAML (or JSON) text → plain objects, each with its source file, the line where it
// starts, and the line of every field in it, so a diagnostic can point at the field's own line.
// A document that does not parse becomes a diagnostic; the other documents of the file still load.
import { createRequire } from 'node:module';
import type { Node, Tags } from 'yaml';
import { ErrorCodes } from '../errors.ts';
import type { Diagnostic } from './diagnostic.ts';
import { childIndex, childKey, parentPath } from './field-path.ts';
import { intern, parseYamlSubset, type Intern } from './yaml-subset.ts';

type YamlLibrary = typeof import('yaml');
let library: YamlLibrary | undefined;

/**
 * The YAML library, loaded when a text first needs it: manifests within the subset never do, and
 * a serving process then does not keep the library's modules (~1 MB of heap and their code).
 */
function yaml(): YamlLibrary {
  return (library ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}

export interface ParsedDocument {
  /** The document as plain JSON data (a mapping). */
  object: Record<string, unknown>;
  file: string;
  /** 1-based line where the object's content starts. */
  line: number;
  /** 1-based line of each field path (`spec.rules[0].matches[0].path.value`) inside the object. */
  positions: ReadonlyMap<string, number>;
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/** The line of `field` in a parsed document, or of its nearest ancestor that has one. */
export function lineOf(doc: Pick<ParsedDocument, 'line' | 'positions'>, field: string | undefined): number {
  let path = field ?? '';
  while (path !== '') {
    const line = doc.positions.get(path);
    if (line !== undefined) return line;
    path = parentPath(path);
  }
  return doc.line;
}

/**
 * Read scalars as kubectl does (its YAML reader is YAML 1.1: unquoted yes/no/on/off/y/n are
 * booleans, 0755 is octal), so a manifest means the same here as when applied to a cluster —
 * except that timestamps and `12:30`-style base-60 numbers stay strings, as they do for kubectl.
 * A key given twice is an error.
 */
const KUBECTL_YAML = {
  version: '1.1',
  customTags: (tags: Tags) => tags.filter((t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME')),
} as const;

export function parseManifests(text: string, file: string): ParseResult {
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  // Plain block YAML (nearly every manifest) is read by the subset reader, many times faster;
  // anything else, and every error, is the library's (see yaml-subset.ts).
  const subset = parseYamlSubset(text);
  if (subset !== undefined) {
    for (const d of subset) expandLists({ object: d.object, file, line: d.line, positions: d.positions }, documents, diagnostics);
    return { documents, diagnostics };
  }
  return parseWithLibrary(text, file);
}

/** parseManifests() by the YAML library alone: any YAML, and the library's own errors. */
export function parseWithLibrary(text: string, file: string): ParseResult {
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const { isMap, isScalar, LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, ...KUBECTL_YAML });
  const list = Array.isArray(docs) ? docs : [];
  const strings: Intern = new Map();
  for (const doc of list) {
    const line = (offset: number) => lineCounter.linePos(offset).line;
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      diagnostics.push({
        code: ErrorCodes.PARSE,
        file,
        line: err.linePos?.[0]?.line ?? line(err.pos[0]),
        message: `invalid YAML: ${firstLine(err.message)}`,
      });
      continue;
    }
    const contents = doc.contents as Node | null;
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) continue;
    const start = line(contents.range?.[0] ?? 0);
    if (!isMap(contents)) {
      diagnostics.push({ code: ErrorCodes.PARSE, file, line: start, message: 'document is not a mapping (expected an object with apiVersion and kind)' });
      continue;
    }
    const positions = new Map<string, number>();
    const complexKey = collectPositions(contents, '', positions, line);
    if (complexKey !== undefined) {
      diagnostics.push({ code: ErrorCodes.PARSE, file, line: complexKey, message: 'invalid YAML for Kubernetes: a mapping key must be a string, not a list or a mapping' });
      continue;
    }
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      diagnostics.push({ code: ErrorCodes.PARSE, file, line: start, message: `invalid YAML: ${(err as Error).message}` });
      continue;
    }
    shareStrings(object, strings, new WeakSet());
    expandLists({ object: object as Record<string, unknown>, file, line: start, positions }, documents, diagnostics);
  }
  return { documents, diagnostics };
}

/**
 * Makes equal string values within a file one string: every object of a manifest repeats its
 * apiVersion, kind, namespace, parent and backend names and match types, and a file's objects are
 * kept for as long as it serves (at the bench's 5,000 routes, ~0.8 MB of copies). In place; the
 * values are unchanged. The subset reader's intern(), so both readers keep strings the same way.
 */
function shareStrings(value: unknown, table: Intern, seen: WeakSet<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') value[i] = intern(table, v);
      else shareStrings(v, table, seen);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === 'string') record[key] = intern(table, v);
    else shareStrings(v, table, seen);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/**
 * Records the line of every field path under `node`. Returns the line of the first mapping key
 * that is a collection (JSON cannot hold one), or undefined when there is none.
 */
function collectPositions(node: unknown, path: string, out: Map<string, number>, line: (offset: number) => number): number | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  let complexKey: number | undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (isMap(keyNode) || isSeq(keyNode)) return line(keyNode.range?.[0] ?? 0);
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = childKey(path, key);
      const at = keyNode?.range?.[0] ?? (pair.value as Node | null)?.range?.[0];
      if (at !== undefined) out.set(childPath, line(at));
      complexKey ??= collectPositions(pair.value, childPath, out, line);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = childIndex(path, i);
      const at = (item as Node | null)?.range?.[0];
      if (at !== undefined) out.set(childPath, line(at));
      complexKey ??= collectPositions(item, childPath, out, line);
    });
  }
  return complexKey;
}

/** `kind: List` (and any `*List` with items) stands for its items, each a document of its own. */
function expandLists(doc: ParsedDocument, out: ParsedDocument[], diagnostics: Diagnostic[]): void {
  const { object } = doc;
  const kind = object['kind'];
  if (typeof kind !== 'string' || !kind.endsWith('List') || !('items' in object)) {
    out.push(doc);
    return;
  }
  const items = object['items'];
  if (items === null || items === undefined) return;
  if (!Array.isArray(items)) {
    diagnostics.push({ code: ErrorCodes.PARSE, file: doc.file, line: lineOf(doc, 'items'), kind, field: 'items', message: 'items must be a list of objects' });
    return;
  }
  items.forEach((item, i) => {
    const prefix = `items[${i}]`;
    const line = lineOf(doc, prefix);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      diagnostics.push({ code: ErrorCodes.PARSE, file: doc.file, line, kind, field: prefix, message: 'list item is not an object' });
      return;
    }
    const positions = new Map<string, number>();
    for (const [path, at] of doc.positions) {
      if (path.startsWith(prefix + '.') || path.startsWith(prefix + '[')) {
        positions.set(path.slice(prefix.length).replace(/^\./, ''), at);
      }
    }
    expandLists({ object: item as Record<string, unknown>, file: doc.file, line, positions }, out, diagnostics);
  });
}

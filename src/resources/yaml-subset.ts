// A fast reader for the plain block YAML that manifests are almost always written in: mappings
// and sequences by indentation, plain and simply quoted scalars, comments, `---` between
// documents. It exists for start-up time: the general YAML library (lexer, CST, document model,
// then toJS) spent ~2.3 s of the 4.7 s CPU a 10,000-route start took, and most of the garbage.
//
// It never guesses. Anything outside that subset — anchors, aliases, tags, flow collections, block
// scalars, multi-line or escaped scalars, numbers other than small decimal integers, keys that are
// not identifiers, tabs, CR line ends, duplicate keys, indentation that is not strictly nested —
// makes it return undefined, and the caller reads the whole text with the YAML library instead,
// which also gives the exact error for text that is not valid YAML. Within the subset the result
// is what the library returns with the options parse.ts uses (YAML 1.1 scalars as kubectl reads
// them); test/resources/yaml-subset.test.ts compares the two on every manifest in the repository.
//
// Field lines (for diagnostics) are not recorded while reading: a document's `positions` are
// computed on first use by reading its file's text again in a recording pass, since they are only
// needed when an object has a problem.
import { childIndex, childKey } from './field-path.ts';

export interface SubsetDocument {
  object: Record<string, unknown>;
  /** 1-based line where the object's content starts. */
  line: number;
  positions: ReadonlyMap<string, number>;
}

/** Thrown inside the reader when the text leaves the subset; never escapes this module. */
class OutsideSubset extends Error {}
const OUTSIDE = new OutsideSubset('outside the YAML subset');

// Plain scalars as the library resolves them with the YAML 1.1 schema (timestamps and base-60
// numbers excluded, as parse.ts configures it).
const NULL_WORD = /^(?:~|[Nn]ull|NULL)$/;
const TRUE_WORD = /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const FALSE_WORD = /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
/** Decimal integers taken here; any other number-like scalar is left to the library. */
const SMALL_INT = /^(?:0|[1-9][0-9]{0,14})$/;
/** Every other numeric form of the 1.1 schema (binary, octal, decimal with sign or `_`, hex, floats, .inf, .nan). */
const OTHER_NUMBER = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*)$/;
/** Map keys taken here: identifiers and dotted/slashed label names, never a 1.1 bool or null word. */
const KEY = /^[A-Za-z_][A-Za-z0-9_.\/-]*$/;

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const SQUOTE = 39;
const DQUOTE = 34;

/**
 * Strings of a file are copied out of its text (V8 would otherwise keep values of 13 characters
 * or more as slices that hold the whole text alive for as long as the objects serve) and equal
 * strings are shared: every object of a manifest repeats its apiVersion, kind, namespace, parent
 * and backend names.
 */
export type Intern = Map<string, string>;

/** The table's copy of `s` (added, as a flat copy, when it has none). */
export function intern(table: Intern, s: string): string {
  const known = table.get(s);
  if (known !== undefined) return known;
  // A slice of a fresh two-part string is a slice of a flat copy of only this value.
  const own = s.length >= 13 ? (' ' + s).slice(1) : s;
  table.set(own, own);
  return own;
}

/**
 * The documents of `text` as plain objects, or undefined when any part of the text is outside
 * the subset (the caller then uses the YAML library for all of it). Documents without content are
 * skipped; a document whose root is not a mapping is outside the subset (the library reports it).
 */
export function parseYamlSubset(text: string, strings: Intern = new Map()): SubsetDocument[] | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    const reader = new Reader(text, strings, false);
    const docs = reader.documents();
    let file: Map<string, number>[] | undefined;
    return docs.map((d, i) => ({
      object: d.object,
      line: d.line,
      positions: new LazyPositions(() => (file ??= new Reader(text, new Map(), true).documents().map((x) => x.positions!)), i),
    }));
  } catch (err) {
    if (err instanceof OutsideSubset) return undefined;
    throw err;
  }
}

/** A document's field lines, computed (for the whole file at once) on first use. */
class LazyPositions implements ReadonlyMap<string, number> {
  readonly #all: () => Map<string, number>[];
  readonly #doc: number;
  #map: Map<string, number> | undefined;
  constructor(all: () => Map<string, number>[], doc: number) {
    this.#all = all;
    this.#doc = doc;
  }
  #get(): Map<string, number> {
    return (this.#map ??= this.#all()[this.#doc]!);
  }
  get size(): number {
    return this.#get().size;
  }
  get(key: string): number | undefined {
    return this.#get().get(key);
  }
  has(key: string): boolean {
    return this.#get().has(key);
  }
  forEach(cb: (value: number, key: string, map: ReadonlyMap<string, number>) => void, thisArg?: unknown): void {
    this.#get().forEach((v, k) => cb.call(thisArg, v, k, this));
  }
  entries(): MapIterator<[string, number]> {
    return this.#get().entries();
  }
  keys(): MapIterator<string> {
    return this.#get().keys();
  }
  values(): MapIterator<number> {
    return this.#get().values();
  }
  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.#get()[Symbol.iterator]();
  }
}

interface ReadDocument {
  object: Record<string, unknown>;
  line: number;
  positions: Map<string, number> | undefined;
}

class Reader {
  readonly #text: string;
  readonly #strings: Intern;
  readonly #record: boolean;
  /** Per line: offset of its first character, of its end (the newline or the text's end), and its indent (-1: blank or comment only). */
  readonly #start: Int32Array;
  readonly #end: Int32Array;
  readonly #indent: Int32Array;
  readonly #lines: number;
  /** Last line (exclusive) of the document being read. */
  #stop = 0;
  #positions: Map<string, number> | undefined;
  readonly #keys = new Map<string, string>();

  constructor(text: string, strings: Intern, record: boolean) {
    this.#text = text;
    this.#strings = strings;
    this.#record = record;
    let count = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
    this.#lines = count;
    this.#start = new Int32Array(count);
    this.#end = new Int32Array(count);
    this.#indent = new Int32Array(count);
    let at = 0;
    for (let l = 0; l < count; l++) {
      let end = text.indexOf('\n', at);
      if (end === -1) end = text.length;
      this.#start[l] = at;
      this.#end[l] = end;
      let c = at;
      while (c < end && text.charCodeAt(c) === SPACE) c++;
      this.#indent[l] = c === end || text.charCodeAt(c) === HASH ? -1 : c - at;
      at = end + 1;
    }
  }

  documents(): ReadDocument[] {
    const out: ReadDocument[] = [];
    let first = 0;
    for (let l = 0; l <= this.#lines; l++) {
      if (l < this.#lines && !this.#isMarker(l)) continue;
      const doc = this.#document(first, l);
      if (doc !== undefined) out.push(doc);
      first = l + 1;
    }
    return out;
  }

  /** `---` or `...` alone (or followed by a comment) at the start of a line ends a document; `%` directives and `--- content` are outside the subset. */
  #isMarker(l: number): boolean {
    if (this.#indent[l] !== 0) return false;
    const text = this.#text;
    const s = this.#start[l]!;
    const c = text.charCodeAt(s);
    if (c === 37 /* % */) throw OUTSIDE;
    if (!(text.startsWith('---', s) || text.startsWith('...', s))) return false;
    const rest = s + 3;
    const e = this.#end[l]!;
    if (rest === e) return true;
    if (text.charCodeAt(rest) !== SPACE) return false; // `---x` is a plain scalar: the document reader bails on it
    if (text.slice(rest, e).trim().startsWith('#') || text.slice(rest, e).trim() === '') return true;
    throw OUTSIDE;
  }

  #document(first: number, stop: number): ReadDocument | undefined {
    this.#stop = stop;
    const l = this.#nextContent(first);
    if (l === stop) return undefined;
    this.#positions = this.#record ? new Map() : undefined;
    const indent = this.#indent[l]!;
    if (this.#isSeqItem(l, this.#start[l]! + indent)) throw OUTSIDE; // a root that is not a mapping: the library says so
    const { value, next } = this.#map(l, this.#start[l]! + indent, indent, '');
    if (this.#nextContent(next) !== stop) throw OUTSIDE;
    return { object: value, line: l + 1, positions: this.#positions };
  }

  #nextContent(l: number): number {
    while (l < this.#stop && this.#indent[l] === -1) l++;
    return l;
  }

  #isSeqItem(l: number, col: number): boolean {
    const text = this.#text;
    if (text.charCodeAt(col) !== DASH) return false;
    const after = col + 1;
    return after === this.#end[l] || text.charCodeAt(after) === SPACE;
  }

  #mark(path: string, l: number): void {
    this.#positions?.set(path, l + 1);
  }

  /** The shared copy of a key taken by the subset (checked once per distinct key: a manifest repeats a few dozen). */
  #key(key: string): string {
    const known = this.#keys.get(key);
    if (known !== undefined) return known;
    if (!KEY.test(key) || TRUE_WORD.test(key) || FALSE_WORD.test(key) || NULL_WORD.test(key) || key === '__proto__') throw OUTSIDE;
    const k = intern(this.#strings, key);
    this.#keys.set(k, k);
    return k;
  }

  /**
   * A block mapping whose first key starts at column `col` of line `l` (which may follow a `- `),
   * its keys all at `indent`. Returns the object and the first line after it.
   */
  #map(l: number, col: number, indent: number, path: string): { value: Record<string, unknown>; next: number } {
    const text = this.#text;
    const out: Record<string, unknown> = {};
    for (;;) {
      const end = this.#end[l]!;
      // The key: an identifier up to `:`, followed by a space or the end of the line.
      const colon = this.#find(COLON, col, end);
      if (colon === -1) throw OUTSIDE;
      const after = colon + 1;
      if (after < end && text.charCodeAt(after) !== SPACE) throw OUTSIDE;
      const k = this.#key(text.slice(col, colon));
      if (Object.hasOwn(out, k)) throw OUTSIDE; // the library reports duplicate keys
      const childPath = this.#record ? childKey(path, k) : '';
      this.#mark(childPath, l);
      const rest = this.#skipSpaces(after, end);
      let next: number;
      if (rest === end || text.charCodeAt(rest) === HASH) {
        // Nothing on the line: a nested block, a sequence at the key's own indent, or null.
        const n = this.#nextContent(l + 1);
        if (n < this.#stop && this.#indent[n]! > indent) {
          const r = this.#block(n, childPath);
          out[k] = r.value;
          next = r.next;
        } else if (n < this.#stop && this.#indent[n] === indent && this.#isSeqItem(n, this.#start[n]! + indent)) {
          const r = this.#seq(n, indent, childPath);
          out[k] = r.value;
          next = r.next;
        } else {
          out[k] = null;
          next = n;
        }
      } else {
        out[k] = this.#scalar(rest, end);
        next = this.#nextContent(l + 1);
        if (next < this.#stop && this.#indent[next]! > indent) throw OUTSIDE; // a continued scalar, or worse
      }
      if (next >= this.#stop) return { value: out, next };
      const ind = this.#indent[next]!;
      if (ind < indent) return { value: out, next };
      if (ind > indent) throw OUTSIDE;
      if (this.#isSeqItem(next, this.#start[next]! + ind)) return { value: out, next }; // the caller's compact sequence ends here or it is an error it will see
      l = next;
      col = this.#start[l]! + indent;
    }
  }

  /** A mapping or a sequence starting at line `l` (its own indent). */
  #block(l: number, path: string): { value: unknown; next: number } {
    const indent = this.#indent[l]!;
    const col = this.#start[l]! + indent;
    const r = this.#isSeqItem(l, col) ? this.#seq(l, indent, path) : this.#map(l, col, indent, path);
    const n = r.next;
    if (n < this.#stop && this.#indent[n]! > indent) throw OUTSIDE;
    return r;
  }

  /** A block sequence whose `-` are at `indent`, starting at line `l`. */
  #seq(l: number, indent: number, path: string): { value: unknown[]; next: number } {
    const text = this.#text;
    const out: unknown[] = [];
    for (;;) {
      const end = this.#end[l]!;
      const dash = this.#start[l]! + indent;
      const itemPath = this.#record ? childIndex(path, out.length) : '';
      const at = this.#skipSpaces(dash + 1, end);
      let next: number;
      if (at === end || text.charCodeAt(at) === HASH) {
        const n = this.#nextContent(l + 1);
        if (n < this.#stop && this.#indent[n]! > indent) {
          this.#mark(itemPath, n);
          const r = this.#block(n, itemPath);
          out.push(r.value);
          next = r.next;
        } else {
          this.#mark(itemPath, l);
          out.push(null);
          next = n;
        }
      } else {
        this.#mark(itemPath, l);
        if (this.#isSeqItem(l, at)) throw OUTSIDE; // `- - x`
        if (this.#looksLikeKey(at, end)) {
          const itemIndent = at - this.#start[l]!;
          const r = this.#map(l, at, itemIndent, itemPath);
          out.push(r.value);
          next = r.next;
          if (next < this.#stop && this.#indent[next]! > indent && this.#indent[next] !== itemIndent) throw OUTSIDE;
        } else {
          out.push(this.#scalar(at, end));
          next = this.#nextContent(l + 1);
          if (next < this.#stop && this.#indent[next]! > indent) throw OUTSIDE;
        }
      }
      if (next >= this.#stop || this.#indent[next] !== indent || !this.#isSeqItem(next, this.#start[next]! + indent)) {
        if (next < this.#stop && this.#indent[next]! > indent) throw OUTSIDE;
        // An exact-size copy: an array grown by push() keeps room for 16 more entries (~130
        // bytes), and most lists in a manifest hold one or two entries and are kept while served.
        return { value: out.slice(), next };
      }
      l = next;
    }
  }

  /** Whether the item text at `at` is a `key: …` entry (a quoted key or a `:` inside a scalar is outside the subset). */
  #looksLikeKey(at: number, end: number): boolean {
    const text = this.#text;
    const c = text.charCodeAt(at);
    if (c === SQUOTE || c === DQUOTE) return false;
    const colon = this.#find(COLON, at, end);
    if (colon === -1) return false;
    return colon + 1 === end || text.charCodeAt(colon + 1) === SPACE;
  }

  /** The first `code` in [from, end) — within the line, never a search through the rest of the text. */
  #find(code: number, from: number, end: number): number {
    const text = this.#text;
    for (let i = from; i < end; i++) if (text.charCodeAt(i) === code) return i;
    return -1;
  }

  #skipSpaces(at: number, end: number): number {
    while (at < end && this.#text.charCodeAt(at) === SPACE) at++;
    return at;
  }

  /** The scalar from `at` to the end of the line (a trailing comment dropped). */
  #scalar(at: number, end: number): unknown {
    const text = this.#text;
    const c = text.charCodeAt(at);
    if (c === SQUOTE) return this.#singleQuoted(at, end);
    if (c === DQUOTE) return this.#doubleQuoted(at, end);
    // Indicators that start something else: flow collections, block scalars, anchors, aliases, tags, directives, reserved.
    if ('[]{},&*!|>%@`?:-'.includes(text[at]!)) {
      // `-` starts a plain scalar when a non-space follows ("-foo"; "-1" is a number, left below).
      if (!(c === DASH && at + 1 < end && text.charCodeAt(at + 1) !== SPACE)) throw OUTSIDE;
    }
    let stop = end;
    for (let i = this.#find(HASH, at, end); i !== -1; i = this.#find(HASH, i + 1, end)) {
      if (text.charCodeAt(i - 1) === SPACE) {
        stop = i;
        break;
      }
    }
    while (stop > at && text.charCodeAt(stop - 1) === SPACE) stop--;
    const raw = text.slice(at, stop);
    // `a: b` inside a value is a nested mapping (an error in the library); a value ending in `:` too.
    if (raw.includes(': ') || raw.endsWith(':') || raw === '<<') throw OUTSIDE;
    if (NULL_WORD.test(raw)) return null;
    if (TRUE_WORD.test(raw)) return true;
    if (FALSE_WORD.test(raw)) return false;
    if (SMALL_INT.test(raw)) return Number(raw);
    if (OTHER_NUMBER.test(raw)) throw OUTSIDE;
    return intern(this.#strings, raw);
  }

  #singleQuoted(at: number, end: number): string {
    const text = this.#text;
    let i = at + 1;
    let value = '';
    for (;;) {
      const q = this.#find(SQUOTE, i, end);
      if (q === -1) throw OUTSIDE; // continues on the next line
      value += text.slice(i, q);
      if (q + 1 < end && text.charCodeAt(q + 1) === SQUOTE) {
        value += "'";
        i = q + 2;
        continue;
      }
      this.#afterQuoted(q + 1, end);
      return intern(this.#strings, value);
    }
  }

  #doubleQuoted(at: number, end: number): string {
    const text = this.#text;
    const q = this.#find(DQUOTE, at + 1, end);
    if (q === -1) throw OUTSIDE;
    const value = text.slice(at + 1, q);
    if (value.includes('\\')) throw OUTSIDE; // escapes are the library's
    this.#afterQuoted(q + 1, end);
    return intern(this.#strings, value);
  }

  /** After a closing quote only spaces and a comment may follow on the line. */
  #afterQuoted(at: number, end: number): void {
    const rest = this.#skipSpaces(at, end);
    if (rest === end) return;
    if (rest > at && this.#text.charCodeAt(rest) === HASH) return;
    throw OUTSIDE;
  }
}

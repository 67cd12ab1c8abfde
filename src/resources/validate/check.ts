// Checks a value against a schema node the way the API server's structural-schema validation
// does: types, required fields, enums, patterns, lengths, bounds, list uniqueness, unknown fields,
// then the node's rules. Every problem is collected; nothing throws.
import { childIndex, childKey } from '../field-path.ts';
import type { ArraySchema, ObjectSchema, Problem, Schema } from './schema.ts';

const regexCache = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    regexCache.set(pattern, re);
  }
  return re;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Characters, not UTF-16 units: the API server counts runes. */
function charLength(s: string): number {
  // Without surrogate pairs every unit is a character (nearly every value: no walk needed).
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

const NONE: readonly never[] = [];

function report(out: Problem[], field: string, message: string): void {
  out.push({ field, message });
}

export function checkValue(schema: Schema, value: unknown, path: string, out: Problem[]): void {
  if (value === undefined || value === null) return;
  // Called for every field of every object: no closure or empty list is made per call (at 10,000
  // routes those were a few hundred thousand short-lived objects for the collector at start-up).
  switch (schema.type) {
    case 'string': {
      if (typeof value === 'boolean') return report(out, path, `must be a string (got boolean ${value}: quote it: kubectl and Wicket read unquoted y, n, yes, no, on, off as booleans (YAML 1.1))`);
      if (typeof value !== 'string') return report(out, path, `must be a string (got ${describe(value)})`);
      if (schema.enum && !schema.enum.includes(value)) {
        report(out, path, `unsupported value ${show(value)}: must be one of ${schema.enum.map(show).join(', ')}`);
      }
      const len = charLength(value);
      const tooShort = schema.minLength !== undefined && len < schema.minLength;
      if (tooShort) report(out, path, schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long (got ${len})`);
      if (schema.maxLength !== undefined && len > schema.maxLength) report(out, path, `must be at most ${schema.maxLength} characters long (got ${len})`);
      // An empty value that must not be empty says all there is to say; skip the pattern then.
      if (!tooShort && schema.pattern !== undefined && !compiled(schema.pattern).test(value)) {
        report(out, path, `invalid value ${show(value)}: must ${schema.patternHint ? `be ${schema.patternHint}` : `match the pattern ${schema.pattern}`}`);
      }
      break;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return report(out, path, `must be an integer (got ${describe(value)})`);
      if (schema.enum && !schema.enum.includes(value)) report(out, path, `unsupported value ${value}: must be one of ${schema.enum.join(', ')}`);
      if (schema.minimum !== undefined && value < schema.minimum) report(out, path, `must be at least ${schema.minimum} (got ${value})`);
      if (schema.maximum !== undefined && value > schema.maximum) report(out, path, `must be at most ${schema.maximum} (got ${value})`);
      if (schema.format === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) report(out, path, `must fit in a 32-bit integer (got ${value})`);
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') return report(out, path, `must be a boolean (got ${describe(value)})`);
      break;
    case 'int-or-string':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
        return report(out, path, `must be an integer or a string (got ${describe(value)})`);
      }
      break;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return report(out, path, `must be an object (got ${describe(value)})`);
      checkObject(schema, value as Record<string, unknown>, path, out);
      break;
    case 'array':
      if (!Array.isArray(value)) return report(out, path, `must be a list (got ${describe(value)})`);
      checkArray(schema, value, path, out);
      break;
  }
  for (const rule of schema.rules ?? NONE) {
    try {
      out.push(...rule(value, path));
    } catch {
      // A rule reading a malformed child: the schema check above has already reported it.
    }
  }
}

function checkObject(schema: ObjectSchema, value: Record<string, unknown>, path: string, out: Problem[]): void {
  for (const name of schema.required ?? NONE) {
    if (value[name] === undefined || value[name] === null) out.push({ field: childKey(path, name), message: 'is required' });
  }
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    out.push({ field: path, message: `must have at least ${schema.minProperties} entries (got ${keys.length})` });
  }
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    out.push({ field: path, message: `must have at most ${schema.maxProperties} entries (got ${keys.length})` });
  }
  for (const key of keys) {
    const child = schema.properties?.[key] ?? schema.additionalProperties;
    const childPath = childKey(path, key);
    if (child) checkValue(child, value[key], childPath, out);
    else if (!schema.preserveUnknownFields) out.push({ field: childPath, message: 'unknown field' });
  }
}

function checkArray(schema: ArraySchema, value: unknown[], path: string, out: Problem[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({ field: path, message: schema.minItems === 1 ? 'must have at least 1 item' : `must have at least ${schema.minItems} items (got ${value.length})` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push({ field: path, message: `must have at most ${schema.maxItems} item${schema.maxItems === 1 ? '' : 's'} (got ${value.length})` });
  }
  value.forEach((item, i) => {
    if (item === null) out.push({ field: childIndex(path, i), message: 'must not be null' });
    else checkValue(schema.items, item, childIndex(path, i), out);
  });
  if (schema.listType === 'set' || schema.listType === 'map') {
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const key = schema.listType === 'set' ? JSON.stringify(item) : listMapKey(item, schema.listMapKeys ?? []);
      if (key === undefined) return;
      const first = seen.get(key);
      if (first !== undefined) {
        const what = schema.listType === 'set' ? `duplicate value ${JSON.stringify(item)}` : `duplicate entry with ${key}`;
        out.push({ field: childIndex(path, i), message: `${what} (already at ${childIndex(path, first)})` });
      } else seen.set(key, i);
    });
  }
}

function listMapKey(item: unknown, keys: readonly string[]): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  return keys.map((k) => `${k}=${JSON.stringify((item as Record<string, unknown>)[k])}`).join(', ');
}

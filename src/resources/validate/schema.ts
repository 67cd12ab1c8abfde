// A small declarative schema language, shaped like the CRDs' openAPIV3Schema so each kind's file
// reads like its CRD and the parity test can compare the two node by node. Rules written in CEL in
// the CRDs (`x-kubernetes-validations`) are TypeScript functions attached to the node they guard.

export interface Problem {
  /** Field path relative to the object (`spec.rules[0].matches[0].path.value`). */
  field: string;
  message: string;
}

/**
 * A cross-field rule. Runs on a value of the node's type (never on a value that failed the type
 * check); children may still be of the wrong type, so read them defensively. Returns problems
 * with full field paths (build them from `path` with field-path.ts).
 */
export type Rule = (value: any, path: string) => Problem[];

interface Node {
  rules?: readonly Rule[];
}

export interface StringSchema extends Node {
  type: 'string';
  enum?: readonly string[];
  pattern?: string;
  /** What the pattern means, in words, for messages (`a DNS label`); the pattern is shown otherwise. */
  patternHint?: string;
  minLength?: number;
  maxLength?: number;
}

export interface IntegerSchema extends Node {
  type: 'integer';
  enum?: readonly number[];
  minimum?: number;
  maximum?: number;
  format?: 'int32' | 'int64';
}

export interface BooleanSchema extends Node {
  type: 'boolean';
}

/** Kubernetes' IntOrString (Service targetPort). */
export interface IntOrStringSchema extends Node {
  type: 'int-or-string';
}

export interface ObjectSchema extends Node {
  type: 'object';
  properties?: Readonly<Record<string, Schema>>;
  required?: readonly string[];
  /** Schema of every value of a map (`labels`, `options`). */
  additionalProperties?: Schema;
  minProperties?: number;
  maxProperties?: number;
  /** Accept fields not listed (unchecked). */
  preserveUnknownFields?: boolean;
}

export interface ArraySchema extends Node {
  type: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  /** `set`: items are unique; `map`: items are unique by `listMapKeys`. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: readonly string[];
}

export type Schema = StringSchema | IntegerSchema | BooleanSchema | IntOrStringSchema | ObjectSchema | ArraySchema;

type Opts<S> = Omit<S, 'type'>;

export function str(opts: Opts<StringSchema> = {}): StringSchema {
  return { type: 'string', ...opts };
}

export function int(opts: Opts<IntegerSchema> = {}): IntegerSchema {
  return { type: 'integer', ...opts };
}

export function int32(opts: Opts<IntegerSchema> = {}): IntegerSchema {
  return { type: 'integer', format: 'int32', ...opts };
}

export function bool(): BooleanSchema {
  return { type: 'boolean' };
}

export function intOrString(): IntOrStringSchema {
  return { type: 'int-or-string' };
}

export function obj(properties: Record<string, Schema>, opts: Opts<Omit<ObjectSchema, 'properties'>> = {}): ObjectSchema {
  return { type: 'object', properties, ...opts };
}

/** A map with string keys (`labels`, `options`) whose values follow `values`. */
export function mapOf(values: Schema, opts: Opts<Omit<ObjectSchema, 'additionalProperties'>> = {}): ObjectSchema {
  return { type: 'object', additionalProperties: values, ...opts };
}

export function list(items: Schema, opts: Opts<Omit<ArraySchema, 'items'>> = {}): ArraySchema {
  return { type: 'array', items, ...opts };
}

/** A rule from a predicate: when `ok(value)` is false, one problem at `path` (+ `field`). */
export function rule(ok: (value: any) => boolean, message: string, field?: string): Rule {
  return (value, path) => (ok(value) ? [] : [{ field: field ? (path === '' ? field : `${path}.${field}`) : path, message }]);
}

// A problem found in input: a manifest that does not parse, a field that breaks a rule. Printed by
// `wicket validate` as `file:line: Kind ns/name: field: problem`, logged by `wicket run`, and turned
// into a status entry so /status shows why an object is not served.
import type { ErrorCode } from '../errors.ts';

export interface Diagnostic {
  code: ErrorCode;
  /** Source file and 1-based line, when the input came from a file. */
  file?: string;
  line?: number;
  kind?: string;
  namespace?: string;
  name?: string;
  /** JSON-path-like field, e.g. `spec.rules[0].matches[0].path.value`. */
  field?: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line ?? 1}: ` : '';
  const obj = d.kind ? `${d.kind} ${d.namespace ? d.namespace + '/' : ''}${d.name ?? '?'}: ` : '';
  const field = d.field ? `${d.field}: ` : '';
  return `${where}${obj}${field}${d.message}`;
}

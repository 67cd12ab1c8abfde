// Loads a golden case directory: in.yaml (multi-document manifests) into a Snapshot, optional
// options.yaml (TranslateOptions overrides), and renders a result as stable YAML with PEM blobs
// replaced by a short digest so diffs stay readable.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { emptySnapshot, SNAPSHOT_FIELD, type Snapshot } from '../../src/resources/snapshot.ts';
import type { TranslateOptions, TranslateResult } from '../../src/translate/api.ts';

export const DEFAULT_OPTIONS: TranslateOptions = {
  controllerName: 'wicket.dev/gateway-controller',
  defaultAddress: '0.0.0.0',
};

export function loadSnapshot(text: string): Snapshot {
  const snap = emptySnapshot();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`in.yaml: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as { kind?: string } | null;
    if (!obj) continue;
    const field = SNAPSHOT_FIELD[obj.kind as keyof typeof SNAPSHOT_FIELD];
    if (!field) throw new Error(`in.yaml: unknown kind ${obj.kind}`);
    (snap[field] as unknown[]).push(obj);
  }
  return snap;
}

export function loadCase(dir: string): { snapshot: Snapshot; options: TranslateOptions } {
  const snapshot = loadSnapshot(readFileSync(join(dir, 'in.yaml'), 'utf8'));
  const optPath = join(dir, 'options.yaml');
  const extra = existsSync(optPath) ? (parse(readFileSync(optPath, 'utf8')) as Partial<TranslateOptions>) : {};
  return { snapshot, options: { ...DEFAULT_OPTIONS, ...extra } };
}

const PEM_KEYS = new Set(['certPem', 'keyPem', 'caPem']);

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = PEM_KEYS.has(k) && typeof v === 'string' ? `<PEM sha256:${createHash('sha256').update(v).digest('hex').slice(0, 12)}>` : redact(v);
    }
    return out;
  }
  return value;
}

export function renderResult(result: TranslateResult): string {
  // JSON round trip: plain data only, no shared references (YAML would emit anchors for them).
  const plain = JSON.parse(JSON.stringify({ statuses: result.statuses, ir: result.ir }));
  return stringify(redact(plain), { lineWidth: 0, aliasDuplicateObjects: false });
}

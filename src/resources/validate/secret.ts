// Secret and ConfigMap (core v1): keys of the allowed form, base64 data, the keys a typed Secret
// must carry, and the 1 MiB size limit.
import { childKey } from '../field-path.ts';
import { bool, mapOf, str, type Problem, type Rule } from './schema.ts';

const KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SIZE = 1024 * 1024;

const keysRule: Rule = (map: Record<string, unknown>, path) => {
  const problems: Problem[] = [];
  for (const key of Object.keys(map)) {
    if (key.length > 253 || !KEY.test(key)) {
      problems.push({ field: childKey(path, key), message: 'invalid key: at most 253 letters, digits, "-", "_" and "."' });
    }
  }
  return problems;
};

/** Base64 as Go decodes []byte from JSON: standard alphabet, padded, line breaks ignored. */
export function isBase64(text: string): boolean {
  const s = text.replace(/[\r\n]/g, '');
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

const base64Rule: Rule = (map: Record<string, unknown>, path) => {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (typeof value === 'string' && !isBase64(value)) {
      problems.push({ field: childKey(path, key), message: 'must be base64-encoded (use stringData for plain text)' });
    }
  }
  return problems;
};

function decodedSize(value: unknown): number {
  return typeof value === 'string' ? Buffer.from(value.replace(/[\r\n]/g, ''), 'base64').length : 0;
}

/** Keys a Secret of a built-in type must have (in data or stringData). */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
};

const secretRule: Rule = (secret, path) => {
  const problems: Problem[] = [];
  const data = (secret.data ?? {}) as Record<string, unknown>;
  const stringData = (secret.stringData ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(data), ...Object.keys(stringData)]);
  for (const key of REQUIRED_KEYS[secret.type] ?? []) {
    if (!keys.has(key)) problems.push({ field: childKey(childKey(path, 'data'), key), message: `is required for a Secret of type ${secret.type}` });
  }
  let size = 0;
  for (const [k, v] of Object.entries(data)) if (!(k in stringData)) size += decodedSize(v);
  for (const v of Object.values(stringData)) size += typeof v === 'string' ? Buffer.byteLength(v) : 0;
  if (size > MAX_SIZE) problems.push({ field: childKey(path, 'data'), message: `must total at most 1 MiB (got ${size} bytes)` });
  return problems;
};

const configMapRule: Rule = (cm, path) => {
  const problems: Problem[] = [];
  const data = (cm.data ?? {}) as Record<string, unknown>;
  const binary = (cm.binaryData ?? {}) as Record<string, unknown>;
  let size = 0;
  for (const [k, v] of Object.entries(data)) size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  for (const [k, v] of Object.entries(binary)) {
    size += k.length + decodedSize(v);
    if (k in data) problems.push({ field: childKey(childKey(path, 'binaryData'), k), message: 'key is also in data: a key may be in data or binaryData, not both' });
  }
  if (size > MAX_SIZE) problems.push({ field: path, message: `data must total at most 1 MiB (got ${size} bytes)` });
  return problems;
};

export const secretBody = () => ({
  type: str(),
  immutable: bool(),
  data: mapOf(str(), { rules: [keysRule, base64Rule] }),
  stringData: mapOf(str(), { rules: [keysRule] }),
});
export const secretRules: Rule[] = [secretRule];

export const configMapBody = () => ({
  immutable: bool(),
  data: mapOf(str(), { rules: [keysRule] }),
  binaryData: mapOf(str(), { rules: [keysRule, base64Rule] }),
});
export const configMapRules: Rule[] = [configMapRule];

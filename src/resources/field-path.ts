// Field paths in the form Kubernetes prints them: `spec.rules[0].matches[0].path.value`, with keys
// that are not plain identifiers quoted (`metadata.labels["app.kubernetes.io/name"]`). Parsing
// records the line of every path, and validation names fields by the same strings, so a problem
// can be pointed at its own line.

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function childKey(base: string, key: string): string {
  if (PLAIN_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

export function childIndex(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** The path one step up (`a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``). */
export function parentPath(path: string): string {
  if (path.endsWith(']')) {
    // Either an index or a quoted key: find the matching `[` outside any quoted string.
    let i = path.length - 2;
    if (path[i] === '"') {
      i--;
      while (i > 0 && !(path[i] === '"' && path[i - 1] === '[' && path[i - 2] !== '\\')) i--;
      return path.slice(0, i - 1);
    }
    return path.slice(0, path.lastIndexOf('['));
  }
  const dot = path.lastIndexOf('.');
  const bracket = path.lastIndexOf(']');
  if (dot > bracket) return path.slice(0, dot);
  return bracket >= 0 ? path.slice(0, bracket + 1) : '';
}

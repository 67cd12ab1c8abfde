// `wicket validate -f PATH`: load the manifests, print every problem as
// `file:line: Kind ns/name: field: problem`, sorted by file and line, and return the exit status
// (1 when anything is wrong, 0 when clean).
import type { Diagnostic } from './diagnostic.ts';
import { formatDiagnostic } from './diagnostic.ts';
import { loadManifests } from './load.ts';

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.file ?? '';
      const fb = b.d.file ?? '';
      if (fa !== fb) return fa < fb ? -1 : 1;
      const la = a.d.line ?? 0;
      const lb = b.d.line ?? 0;
      return la !== lb ? la - lb : a.i - b.i;
    })
    .map(({ d }) => d);
}

export async function runValidate(paths: string[], out: (line: string) => void): Promise<number> {
  const { diagnostics } = await loadManifests(paths);
  for (const d of sortDiagnostics(diagnostics)) out(formatDiagnostic(d));
  return diagnostics.length > 0 ? 1 : 0;
}

// `wicket validate -f PATH`: prints one line per problem, `file:line: Kind ns/name: field: problem`,
// on stdout, and exits 1 when there is any, 0 when the manifests are clean.
import { formatDiagnostic } from '../resources/diagnostic.ts';
import { loadManifests } from '../resources/load.ts';

export async function validate(paths: string[], out: (line: string) => void): Promise<number> {
  const { diagnostics } = await loadManifests(paths);
  for (const d of diagnostics) out(formatDiagnostic(d));
  return diagnostics.length > 0 ? 1 : 0;
}

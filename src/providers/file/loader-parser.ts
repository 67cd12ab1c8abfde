// The default FileParser: the manifest loader's own parsing and validation (src/resources), applied
// to one file. Duplicates across files are the provider's concern (it sees every file), so here a
// file only has to be internally consistent.
import { admitDocuments } from '../../resources/load.ts';
import { parseManifests } from '../../resources/parse.ts';
import type { FileParser } from './parse-file.ts';

export const loaderParser: FileParser = (file, text) => {
  const parsed = parseManifests(text, file);
  const admitted = admitDocuments(parsed.documents);
  return {
    objects: admitted.objects.map((o) => o.object),
    diagnostics: [...parsed.diagnostics, ...admitted.diagnostics],
  };
};

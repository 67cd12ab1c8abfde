// The seam between the file provider and the manifest loader (src/resources): the provider calls a
// FileParser once per file, so it can keep each file's last good objects. The default is the
// loader's own parsing and validation (loader-parser.ts); tests may pass their own.
import type { Diagnostic } from '../../resources/diagnostic.ts';
import type { AnyObject } from '../../resources/types.ts';

export interface ParsedFile {
  objects: AnyObject[];
  diagnostics: Diagnostic[];
}

export type FileParser = (file: string, text: string) => ParsedFile;

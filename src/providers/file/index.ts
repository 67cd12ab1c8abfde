export { FileProvider, type FileProviderOptions } from './provider.ts';
export { loaderParser } from './loader-parser.ts';
export type { FileParser, ParsedFile } from './parse-file.ts';

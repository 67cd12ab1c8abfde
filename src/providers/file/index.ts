export { FileProvider, type FileProviderOptions } from './provider.ts';
export { loaderParser } from "./loader-parser.ts";
export { basicParser, type FileParser, type ParsedFile } from './parse-file.ts';

// `wicket validate -f PATH`: the loader's validate command (src/resources/validate-command.ts)
// prints `file:line: Kind ns/name: field: problem` lines on stdout and returns 1 on any, 0 if clean.
export { runValidate as validate } from '../resources/validate-command.ts';

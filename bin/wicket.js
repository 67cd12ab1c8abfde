#!/usr/bin/env node
// The `wicket` command. It runs the compiled CLI from dist/ (built by `npm install` through the
// `prepare` script), because Node does not strip types from files inside node_modules.
// A serving command first restarts itself in place with V8 flags sized for a long-running proxy
// (dist/cli/heap-flags.js says why); the CLI is loaded only after that, so nothing is loaded twice.
import { relaunchWithHeapFlags } from '../dist/cli/heap-flags.js';

relaunchWithHeapFlags(process.argv.slice(2));
const { main } = await import('../dist/cli/main.js');
main(process.argv.slice(2)).then((code) => {
  if (typeof code === 'number') process.exitCode = code;
});

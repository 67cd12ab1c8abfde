#!/usr/bin/env node
// The `wicket` command. It runs the compiled CLI from dist/ (built by `npm install` through the
// `prepare` script), because Node does not strip types from files inside node_modules.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  if (typeof code === 'number') process.exitCode = code;
});

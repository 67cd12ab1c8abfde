// Entry point for `node --test conformance/`: node resolves the directory through
// conformance/package.json "main" and runs this file, which loads every test file.
import './pod-env.test.ts';
import './pod-volumes.test.ts';
import './misc.test.ts';

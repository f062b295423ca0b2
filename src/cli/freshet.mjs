#!/usr/bin/env node
// The `freshet` command, as package.json's "bin" runs it from a source checkout: it registers tsx
// (a devDependency) in this process and starts the TypeScript CLI, so job modules may be .ts files
// too. A published build would point "bin" at the compiled JavaScript instead (e.g. dist/cli/main.js)
// and need no tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');

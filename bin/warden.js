#!/usr/bin/env node
// Runs Warden's CLI: the compiled JavaScript in dist/ (built by `npm ci` through `prepare`, or
// `npm run build`) with plain node, or the TypeScript source through tsx when there is no build or a
// file under src/ changed since it was made (a developer's edit runs at once, never a stale build).
// WARDEN_FROM_SOURCE=1 always runs the source. Paths resolve from this file, so it works from any
// current directory (and through npm's bin symlinks).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from './buildIsCurrent.mjs';

// `warden ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

let main;
if (process.env.WARDEN_FROM_SOURCE !== '1' && buildIsCurrent()) {
  main = await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
  main = await import('../src/cli/main.ts');
}
process.exitCode = await main.run(process.argv);

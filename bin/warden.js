#!/usr/bin/env node
// Runs Warden's CLI: the compiled JavaScript in dist/ (built by `npm ci` through `prepare`, or
// `npm run build`) with plain node, or the TypeScript source through tsx when there is no build or a
// file under src/ changed since it was made (a developer's edit runs at once, never a stale build).
// WARDEN_FROM_SOURCE=1 always runs the source. Paths resolve from this file, so it works from any
// current directory (and through npm's bin symlinks).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const builtMark = fileURLToPath(new URL('../dist/.built', import.meta.url));

/** True when dist/ was built after the last change under src/ (a few ms: one stat per source file). */
function buildIsCurrent() {
  if (process.env.WARDEN_FROM_SOURCE === '1' || !existsSync(builtMark)) return false;
  if (!existsSync(srcDir)) return true;
  const built = statSync(builtMark).mtimeMs;
  for (const f of readdirSync(srcDir, { recursive: true })) {
    if (statSync(srcDir + f).mtimeMs > built) return false;
  }
  return true;
}

// `warden ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

let main;
if (buildIsCurrent()) {
  main = await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
  main = await import('../src/cli/main.ts');
}
process.exitCode = await main.run(process.argv);

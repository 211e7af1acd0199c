#!/usr/bin/env node
// Runs Warden's CLI: the compiled JavaScript in dist/ (built by `npm ci` through `prepare`, or
// `npm run build`) with plain node, or the TypeScript source through tsx when there is no build or a
// file under src/ changed since it was made (a developer's edit runs at once, never a stale build).
// WARDEN_FROM_SOURCE=1 always runs the source. Paths resolve from this file, so it works from any
// current directory (and through npm's bin symlinks).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from './buildIsCurrent.mjs';

// V8's young generation: Node 24's V8 lets each of its two semi-spaces grow to 64 MB (Node 22's: 16 MB),
// which alone raised a 1M-bar replay's peak memory from ~190 MB to ~295 MB for no gain in speed (same CPU
// time either way). The size is fixed when V8 starts (v8.setFlagsFromString comes too late), so on Node 24+
// the CLI replaces its own process, once, with the same one started with 8 MB semi-spaces (peak ~185 MB;
// the replacement costs ~30 ms; same process id, so signals and service managers see one process).
// A flag given on the command line or in NODE_OPTIONS wins; a debugger session (--inspect) is left alone.
const SEMI_SPACE_FLAG = '--max-semi-space-size';
const SEMI_SPACE_MB = 8;
if (youngGenerationNeedsCap()) {
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, `${SEMI_SPACE_FLAG}=${SEMI_SPACE_MB}`, ...process.argv.slice(1)],
    process.env,
  );
}

function youngGenerationNeedsCap() {
  if (Number(process.versions.node.split('.')[0]) < 24 || typeof process.execve !== 'function') return false;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  // V8 takes its flags with - or _ between the words.
  return !given.some((a) => /^--(max[-_]semi[-_]space[-_]size|inspect)/.test(a));
}

// V8's compile cache (node:module, Node 22.1+): the compiled code of Warden's modules and its
// dependencies is kept on disk (Node's default place under the temporary folder, or NODE_COMPILE_CACHE)
// and reused by the next start. Measured here: `warden replay --help` 0.23 s -> 0.19 s (mean of 20).
// A cache that cannot be written is skipped by Node without an error; stale entries are checked and rebuilt.
module.enableCompileCache?.();

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

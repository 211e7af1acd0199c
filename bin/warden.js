#!/usr/bin/env node
// Runs Warden's CLI straight from the TypeScript source (no build step), through tsx's programmatic API.
// Paths resolve from this file, so it works from any current directory (and through npm's bin symlinks).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });

// `warden ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const { run } = await import('../src/cli/main.ts');
process.exitCode = await run(process.argv);

// `npm run build` (and `prepare`, which `npm ci` and `npm install` run): compiles src/ to plain
// JavaScript in dist/ so `bin/warden.js` starts with node alone (the tsx loader costs ~0.6 s of every
// command's start-up), copies the pages the service serves, and writes dist/.built last: bin/warden.js
// runs dist/ only while no file under src/ is newer than that mark.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    'warden build: tsc failed; bin/warden.js runs the TypeScript source (through tsx) until a build succeeds',
  );
  process.exit(r.status ?? 1);
}
cpSync(new URL('../src/service/pages/', import.meta.url), new URL('../dist/service/pages/', import.meta.url), {
  recursive: true,
});
writeFileSync(new URL('../dist/.built', import.meta.url), `${new Date().toISOString()}\n`);

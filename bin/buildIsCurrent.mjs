// Whether dist/ (what `npm run build` compiles) may run: it exists and no file under src/ changed since
// it was built (dist/.built is written last). One rule for bin/warden.js and the test of the compiled
// CLI. A few ms: one stat per source file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const builtMark = fileURLToPath(new URL('../dist/.built', import.meta.url));

/** True when dist/ was built after the last change under src/. */
export function buildIsCurrent() {
  if (!existsSync(builtMark)) return false;
  if (!existsSync(srcDir)) return true;
  const built = statSync(builtMark).mtimeMs;
  for (const f of readdirSync(srcDir, { recursive: true })) {
    if (statSync(srcDir + f).mtimeMs > built) return false;
  }
  return true;
}

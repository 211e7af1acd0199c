// A worker thread starts on plain JavaScript: this registers tsx (as bin/warden.js does), then loads
// the TypeScript worker module.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
await import('./optimizeWorker.ts');

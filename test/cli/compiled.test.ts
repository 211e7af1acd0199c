// The compiled CLI (dist/, what `npm ci` builds and bin/warden.js runs) does what the TypeScript source
// does: the same replay outputs byte for byte, the pages served from dist/, the study's worker threads
// started from their compiled file. Skipped, saying why, when there is no current build (a developer
// edited src/ after the last `npm run build`); CI builds in `npm ci`, so there it always runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIsCurrent } from '../../bin/buildIsCurrent.mjs';

const root = path.resolve('.');
const src = path.join(root, 'src');

const current = buildIsCurrent();
if (!current) console.warn('compiled.test.ts: skipped: dist/ is missing or older than src/ (run `npm run build`)');

const dir = mkdtempSync(path.join(tmpdir(), 'warden-compiled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the compiled CLI's `run()` directly (not through bin/warden.js's choice), from a script file (worker threads refuse the flags of `node -e`). */
const runner = path.join(dir, 'runCompiled.mjs');
writeFileSync(
  runner,
  `const m = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist/cli/main.js')).href)});\nprocess.exitCode = await m.run(process.argv);\n`,
);
const compiled = (...args: string[]) => spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8' });
const fromSource = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'bin/warden.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, WARDEN_FROM_SOURCE: '1' },
  });

describe.skipIf(!current)('the compiled CLI (dist/)', () => {
  it('writes the replay outputs the TypeScript source writes, byte for byte', () => {
    const a = compiled('replay', '--sample', '--sample-bars', '6000', '--out', path.join(dir, 'compiled'));
    const b = fromSource('replay', '--sample', '--sample-bars', '6000', '--out', path.join(dir, 'source'));
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    for (const f of ['decisions.jsonl', 'report.json', 'trades.csv', 'report.html']) {
      expect(readFileSync(path.join(dir, 'compiled', f)).equals(readFileSync(path.join(dir, 'source', f))), f).toBe(
        true,
      );
    }
  });

  it('starts the study on worker threads from their compiled file', () => {
    const r = compiled(
      'study',
      'defaults',
      '--sample',
      '--sample-bars',
      '6000',
      '--variants',
      '2',
      '--workers',
      '2',
      '--out',
      path.join(dir, 'study'),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(path.join(dir, 'study', 'study.html'))).toBe(true);
  });

  it('ships the pages the service serves', () => {
    for (const f of readdirSync(path.join(src, 'service/pages')))
      expect(existsSync(path.join(root, 'dist/service/pages', f)), f).toBe(true);
  });
});

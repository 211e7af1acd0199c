import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { runSampleSession } from '../../src/demo/sampleSession.ts';

const bin = path.resolve('bin/warden.js');

describe('warden demo (npm start)', () => {
  it('runs the engine on the sample market and prints a summary', () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--quiet', '--bars', '6000'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/positions: \d+ opened/);
    expect(r.stdout).toMatch(/breakeven reached by \d+ of \d+/);
  });

  it('refuses an unknown symbol or a bad number with a clear message and exit 2', () => {
    const a = spawnSync(process.execPath, [bin, 'demo', '--symbol', 'FOO'], { encoding: 'utf8' });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/no sample market for FOO/);
    expect(a.stderr).not.toMatch(/\n\s+at /);
    const b = spawnSync(process.execPath, [bin, 'demo', '--bars', 'ten'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--bars must be an integer/);
  });

  it('is deterministic and its decisions are explained', () => {
    const a = runSampleSession(defaultConfig(), { symbol: 'BTCUSDc', seed: 3, bars: 6000, every: 120 });
    const b = runSampleSession(defaultConfig(), { symbol: 'BTCUSDc', seed: 3, bars: 6000, every: 120 });
    expect(a.lines).toEqual(b.lines);
    expect(a.intents.length).toBeGreaterThan(0);
    expect(a.journal.size).toBeGreaterThan(a.intents.length);
  });
});

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { runSampleSession } from '../../src/demo/sampleSession.ts';

const bin = path.resolve('bin/warden.js');
/** What `warden demo` runs without options. */
const DEFAULT_DEMO = { symbol: 'XAUUSDc', seed: 42, bars: 12000, every: 240 };

describe('warden demo', () => {
  it('runs the engine on the sample market and prints a summary', async () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--quiet', '--bars', '6000'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/positions: \d+ opened/);
    expect(r.stdout).toMatch(/breakeven reached by \d+ of \d+/);
    expect(r.stdout).toMatch(/intents: \d+ \(\d+ breakeven, \d+ partial, \d+ trail, \d+ dtms\)/);
    expect(r.stdout).toMatch(
      /DTMS: \d+ transitions \(.*\); \d+ intents \(.*\), \d+ applied, \d+ rejected; \d+ hedges? opened/,
    );
  });

  it('refuses an unknown symbol or a bad number with a clear message and exit 2', async () => {
    const a = spawnSync(process.execPath, [bin, 'demo', '--symbol', 'FOO'], { encoding: 'utf8' });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/no sample market for FOO/);
    expect(a.stderr).not.toMatch(/\n\s+at /);
    const b = spawnSync(process.execPath, [bin, 'demo', '--bars', 'ten'], { encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--bars must be an integer/);
  });

  it('is deterministic and its decisions are explained', async () => {
    const a = await runSampleSession(defaultConfig(), { symbol: 'BTCUSDc', seed: 3, bars: 6000, every: 120 });
    const b = await runSampleSession(defaultConfig(), { symbol: 'BTCUSDc', seed: 3, bars: 6000, every: 120 });
    expect(a.lines).toEqual(b.lines);
    expect(a.intents.length).toBeGreaterThan(0);
    expect(a.journal.size).toBeGreaterThan(a.intents.length);
  });

  it('sends DTMS actions to the paper broker, which applies them (the default demo)', async () => {
    const a = await runSampleSession(defaultConfig(), DEFAULT_DEMO);
    const dtmsLines = a.lines.filter((l) => / #\d+ dtms {6}/.test(l));
    expect(a.intents.some((it) => it.rule === 'dtms')).toBe(true);
    expect(dtmsLines.length).toBe(a.intents.filter((it) => it.rule === 'dtms').length);
    // Printed by action, applied, never refused for being a kind the broker does not know.
    expect(dtmsLines.some((l) => /dtms {6}tighten_stop: SL [\d.]+ -> [\d.]+ {2}\[applied\]/.test(l))).toBe(true);
    expect(dtmsLines.every((l) => l.includes('[applied]'))).toBe(true);
    expect(a.lines.some((l) => /\[rejected/.test(l))).toBe(false);
    expect(a.dtms.applied).toBeGreaterThan(0);
    expect(a.dtms.rejected).toBe(0);
    // Hedges, when DTMS opened any, name their ticket, and their profit is booked to the trades they hedge.
    if (a.dtms.hedgesOpened > 0)
      expect(a.lines.some((l) => /open_hedge: (buy|sell) [\d.]+ \(#\d+\) at [\d.]+/.test(l))).toBe(true);
    if (a.dtms.hedgesOpen === 0)
      expect(a.trades.reduce((s, t) => s + t.hedgeProfit, 0)).toBeCloseTo(a.dtms.hedgeProfit, 6);
    // The summary says what DTMS did.
    const dtmsSummary = a.summary.find((l) => l.startsWith('DTMS: '));
    expect(dtmsSummary).toBeDefined();
    expect(dtmsSummary).toMatch(/DTMS: [1-9]\d* transitions \(HEALTHY->WARNING_L1 \d+/);
    expect(dtmsSummary).toMatch(/intents \(.*tighten_stop \d+/);
    expect(dtmsSummary).toMatch(/\d+ hedges? opened/);
    expect(a.summary.some((l) => /intents: \d+ \(.*, [1-9]\d* dtms\), 0 rejected by the broker/.test(l))).toBe(true);

    // Deterministic: a second run prints the very same lines and summary.
    const b = await runSampleSession(defaultConfig(), DEFAULT_DEMO);
    expect(b.lines).toEqual(a.lines);
    expect(b.summary).toEqual(a.summary);
  });
});

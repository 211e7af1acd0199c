// `warden study` on two real bar files of ../shared/data, one entry variant: every config (defaults,
// bracket, chandelier) must have run on exactly the same entries, so the paired differences compare
// exits only.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { StudyReport } from '../../../src/study/analysis.ts';
import { wardenCli } from '../../support/cliRun.ts';
import { describeShared, sharedFile } from '../../support/sharedData.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-shared-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeShared('warden study on the real market data in ../shared/data', () => {
  it('runs every config on identical entries of each file', async () => {
    const r = await wardenCli(
      'study',
      'defaults',
      ...['--bars', sharedFile('eurusd_oanda_m1_2014-05.csv'), '--symbol', 'EURUSD'],
      ...['--bars', sharedFile('usdjpy_fxcm_m1_2013-02.csv'), '--symbol', 'USDJPY'],
      ...['--variants', '1', '--workers', '2', '--out', dir, '--no-progress'],
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, 'study.json'), 'utf8')) as StudyReport;
    expect(report.sets.map((s) => s.name)).toEqual(['eurusd_oanda_m1_2014-05.csv', 'usdjpy_fxcm_m1_2013-02.csv']);
    expect(report.runs).toHaveLength(2 * 3);
    for (const set of report.sets) {
      const runs = report.runs.filter((x) => x.set === set.name);
      expect(runs.map((x) => x.config)).toEqual(['defaults', 'bracket', 'chandelier']);
      // The same generated entries (time, side, stop and target distance, volume) in every run.
      expect(new Set(runs.map((x) => x.entriesHash)).size).toBe(1);
      expect(runs[0]!.entries).toBeGreaterThan(100);
      // And the same trades opened from them: every entry traded or refused, the same ones everywhere.
      const opened = runs.map((x) => {
        const keys: string[] = [];
        x.trades.entryTime!.forEach((t, i) => {
          if (!String(x.trades.flags![i]).split(';').includes('re_add')) keys.push(`${t}|${x.trades.side![i]}`);
        });
        expect(keys.length + x.rejected).toBe(x.entries);
        return keys.join(',');
      });
      expect(new Set(opened).size).toBe(1);
      const p = report.pairing.find((x) => x.set === set.name)!;
      expect(p.sameEntries).toBe(true);
      expect(p.droppedEntries).toBe(0);
      expect(p.pairedEntries).toBe(runs[0]!.entries - runs[0]!.rejected);
    }
    expect(report.groups.map((g) => g.scope)).toEqual([
      'eurusd_oanda_m1_2014-05.csv',
      'usdjpy_fxcm_m1_2013-02.csv',
      'pooled',
    ]);
    console.log(`\n${r.stdout}`);
  });
});

// `warden optimize` end to end on a small generated bar file: best.yaml loads as a Warden config,
// report.json matches its model with an out-of-sample result per fold, the same report twice; bad
// input is a clear message with exit code 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfigFile } from '../../src/config/load.ts';
import { generateSampleSeries, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { optimizeReportSchema } from '../../src/optimize/reportModel.ts';
import { wardenCli } from '../support/cliRun.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-optimize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const barsFile = path.join(dir, 'xau.csv');
{
  const { series } = generateSampleSeries({ seed: 3, bars: 9000, ...SAMPLE_SHAPES['XAUUSD']! });
  const lines = ['time,open,high,low,close,volume,spread'];
  for (let i = 0; i < series.length; i++) {
    lines.push(
      [
        new Date(series.time[i]!).toISOString(),
        series.open[i],
        series.high[i],
        series.low[i],
        series.close[i],
        series.volume[i],
        series.spread[i],
      ].join(','),
    );
  }
  writeFileSync(barsFile, `${lines.join('\n')}\n`);
}
const ARGS = [
  '--bars',
  barsFile,
  '--symbol',
  'XAUUSDc',
  '--entry-every',
  '40',
  '--seed',
  '3',
  '--trials',
  '6',
  '--folds',
  '2',
  '--no-progress',
];

describe('warden optimize', () => {
  it('writes a loadable best.yaml and a report with in-sample and outOfSample per fold, the same on a second run', {
    timeout: 120_000,
  }, async () => {
    const out = path.join(dir, 'a');
    const a = await wardenCli('optimize', ...ARGS, '--workers', '1', '--objective', 'r_per_dd', '--out', out);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/fold 2: trial #\d+ in sample/);
    const loaded = loadConfigFile(path.join(out, 'best.yaml'));
    expect(loaded.ok).toBe(true);
    const yaml = readFileSync(path.join(out, 'best.yaml'), 'utf8');
    expect(yaml).toMatch(
      /^# Tuned by warden .* optimize from the defaults: trial #\d+ of 6 \(seed 3\), objective r_per_dd\./,
    );
    expect(yaml).toContain('xau.csv, XAUUSDc M1, 9000 bars');
    const json = readFileSync(path.join(out, 'report.json'), 'utf8');
    const r = optimizeReportSchema.parse(JSON.parse(json));
    expect(r.folds).toHaveLength(2);
    for (const f of r.folds) {
      expect(f.testWindow).toBe(f.trainWindow + 1);
      expect(f.outOfSample.trades).toBeGreaterThan(10);
      expect(f.inSample.trades).toBeGreaterThan(10);
      expect(f.pairedOutOfSample.n).toBeGreaterThan(10);
    }
    expect(r.windows).toHaveLength(3);
    expect(r.trials).toHaveLength(6);
    expect(r.pbo.blocks).toBe(6);
    if (loaded.ok) {
      // best.yaml holds the chosen trial's values.
      expect(loaded.config.exits.breakeven.atR).toBe(r.best.params['breakevenR']);
      expect(loaded.config.dtms.graceMinutes).toBe(r.best.params['dtmsGraceMinutes']);
      expect(loaded.config.features).toEqual(defaultConfig().features);
    }
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Walk-forward folds');

    const b = await wardenCli(
      'optimize',
      ...ARGS,
      '--workers',
      '2',
      '--objective',
      'r_per_dd',
      '--out',
      path.join(dir, 'b'),
    );
    expect(b.code).toBe(0);
    expect(readFileSync(path.join(dir, 'b', 'report.json'), 'utf8')).toBe(json);
  });

  it('refuses bad input with a clear message', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['--folds', '0'], /--folds must be an integer between 1 and 7/],
      [['--folds', '7'], /window \d+ has \d+ bars and \d+ entries, and each needs at least/],
      [['--objective', 'sharpe'], /--objective must be one of expectancy, r_per_dd, capture/],
    ];
    for (const [extra, message] of cases) {
      const r = await wardenCli('optimize', ...ARGS, ...extra, '--out', path.join(dir, 'bad'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const unknown = await wardenCli(
      'optimize',
      '--bars',
      barsFile,
      '--symbol',
      'FOOBAR',
      '--entry-every',
      '40',
      '--out',
      path.join(dir, 'bad'),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/FOOBAR/);
  });
});

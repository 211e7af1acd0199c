// Replays every bar file of ../shared/data with the default config and generated entries, checks the
// money-safety invariants on every line of decisions.jsonl, and that a second run writes the same
// bytes. Writes the metrics table to out/replay-metrics.md (the figures quoted for the default config).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import { instrumentFromConfig } from '../../../src/domain/instruments.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../../src/replay/entries.ts';
import { loadBarFiles } from '../../../src/replay/replayInputs.ts';
import { REPLAY_FILES, runReplayJob, type ReplayJob } from '../../../src/replay/replayRun.ts';
import type { ReplayMetrics } from '../../../src/replay/reportModel.ts';
import { checkDecisionInvariants } from '../../support/decisionInvariants.ts';
import { describeShared, sharedFile } from '../../support/sharedData.ts';

const FILES: [file: string, symbol: string, every: number][] = [
  ['xauusd_oanda_m1_2014-05.csv', 'XAUUSD', 120],
  ['xauusd_oanda_h1_2006-2019.csv', 'XAUUSD', 200],
  ['eurusd_oanda_m1_2014-05.csv', 'EURUSD', 120],
  ['eurusd_oanda_h1.csv', 'EURUSD', 200],
  ['gbpusd_fxcm_m1_2012-02.csv', 'GBPUSD', 120],
  ['usdjpy_fxcm_m1_2013-02.csv', 'USDJPY', 120],
  ['btcusd_ftx_m1_2022-01.csv', 'BTCUSD', 120],
  ['btcusd_coinbase_m1.csv', 'BTCUSD', 120],
];

const config = defaultConfig();
const dirs: string[] = [];
const rows: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (rows.length === 0) return;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  void pct;
  const table = [
    '| data set | bars | trades | win rate | expectancy R | profit factor | max DD | net profit | RMAG trigger | breakeven | trailing after BE | BE hit | DTMS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  mkdirSync('out', { recursive: true });
  writeFileSync('out/replay-metrics.md', `${table}\n`);
  console.log(`\n${table}\n`);
});

function job(file: string, symbol: string, every: number, outDir: string | null, faults?: number): ReplayJob {
  const instrument = instrumentFromConfig(config, symbol);
  const bars = loadBarFiles([sharedFile(file)], { instrument });
  const entries = generateEntries(bars.source, bars.timeframe, { ...DEFAULT_GENERATED, every, seed: 1 });
  return {
    config,
    instrument,
    bars: bars.source,
    timeframe: bars.timeframe,
    data: bars.data,
    entries,
    entriesSource: `generated every ${every}`,
    broker: { accountMode: 'hedging', ...(faults ? { faults: { rate: faults, seed: 3 } } : {}) },
    startingBalance: 10_000,
    outDir,
    version: 'test',
  };
}

const row = (file: string, bars: number, m: ReplayMetrics) => {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const n = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  return `| ${file} | ${bars} | ${m.trades} | ${pct(m.winRate)} | ${n(m.expectancyR, 3)} | ${n(m.profitFactor)} | ${pct(m.maxDrawdownPct)} | ${n(m.netProfit)} | ${pct(m.rmagTriggerRate)} | ${pct(m.breakevenRate)} | ${pct(m.trailingActivationRate)} | ${pct(m.breakevenHitRate)} | ${pct(m.dtmsActionRate)} |`;
};

describeShared('replay over the real market data in ../shared/data', () => {
  for (const [file, symbol, every] of FILES) {
    it(`${file}: invariants hold on every decision line, and a second run writes identical bytes`, async () => {
      const a = mkdtempSync(path.join(tmpdir(), 'warden-shared-replay-'));
      const b = mkdtempSync(path.join(tmpdir(), 'warden-shared-replay-'));
      dirs.push(a, b);
      const j = job(file, symbol, every, a);
      const run = await runReplayJob(j);
      const lines = readFileSync(path.join(a, 'decisions.jsonl'), 'utf8').trimEnd().split('\n');
      const inv = checkDecisionInvariants(lines, j.instrument);
      expect(inv.violations.slice(0, 5)).toEqual([]);
      expect(run.report.metrics.trades).toBeGreaterThan(30);
      expect(run.report.gaps.list.length).toBe(run.report.gaps.count);
      await runReplayJob(job(file, symbol, every, b));
      for (const f of REPLAY_FILES)
        expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
      rows.push(row(file, run.report.data.bars, run.report.metrics));
    });
  }

  it('xauusd M1 with 20% broker faults: invariants hold, nothing applied twice, every unknown reconciled', async () => {
    const j = job('xauusd_oanda_m1_2014-05.csv', 'XAUUSD', 60, null, 0.2);
    const run = await runReplayJob(j);
    const inv = checkDecisionInvariants(run.decisions.lines!, j.instrument);
    expect(inv.violations.slice(0, 5)).toEqual([]);
    expect(run.result.broker.audit.duplicateIds).toBe(0);
    expect(run.result.broker.audit.loosened).toBe(0);
    expect(run.result.counts['unknown.trail'] ?? 0).toBeGreaterThan(0);
  });
});

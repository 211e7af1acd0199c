import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { DEFAULT_GENERATED, generateEntries, parseEntriesCsv } from '../../src/replay/entries.ts';
import { fillSpreadless, loadBarFiles, sampleBars, spreadlessKind } from '../../src/replay/replayInputs.ts';
import { BarSeries } from '../../src/market/barSeries.ts';
import { readSeries } from '../../src/market/barSource.ts';
import { renderReportHtml } from '../../src/replay/reportHtml.ts';
import {
  REPLAY_FILES,
  runReplayJob,
  summaryLine,
  TRADES_CSV_HEADER,
  type ReplayJob,
} from '../../src/replay/replayRun.ts';
import { checkDecisionInvariants } from '../support/decisionInvariants.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'warden-replay-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const config = defaultConfig();

function job(symbol: string, over: Partial<ReplayJob> = {}, bars = 20_000, every = 90): ReplayJob {
  const instrument = instrumentFromConfig(config, symbol);
  const data = sampleBars(instrument, 11, bars);
  const entries = generateEntries(data.source, 'M1', { ...DEFAULT_GENERATED, every, seed: 5, side: 'random' });
  return {
    config,
    instrument,
    bars: data.source,
    timeframe: 'M1',
    data: data.data,
    entries,
    entriesSource: 'generated',
    broker: { accountMode: 'hedging' },
    startingBalance: 10_000,
    outDir: null,
    version: 'test',
    ...over,
  };
}

const lines = (run: Awaited<ReturnType<typeof runReplayJob>>, dir: string | null): string[] =>
  dir === null ? run.decisions.lines! : readFileSync(path.join(dir, 'decisions.jsonl'), 'utf8').trimEnd().split('\n');

describe('replay on the generated sample market', () => {
  it('writes the four files, and the decisions keep every money-safety invariant', async () => {
    const dir = tmp();
    const j = job('XAUUSDc', { outDir: dir });
    const run = await runReplayJob(j);
    expect(run.files.map((f) => path.basename(f))).toEqual([...REPLAY_FILES]);
    const ls = lines(run, dir);
    const inv = checkDecisionInvariants(ls, j.instrument);
    expect(inv.violations).toEqual([]);
    // Every position is a trade, except DTMS hedges (booked to the trade they hedge).
    expect(inv.positions - inv.hedges).toBe(run.report.metrics.trades);
    expect(inv.applied).toBeGreaterThan(10);
    // DTMS defends every trade: its transitions and applied actions are in the report and the lines.
    const d = run.report.dtms;
    expect(d.enabled).toBe(true);
    expect(d.deepChecks).toBeGreaterThan(100);
    expect(Object.values(d.transitions).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(inv.dtmsApplied).toBe(Object.values(d.actions).reduce((a, b) => a + b, 0));
    expect(d.actionRate).toBe(run.report.metrics.dtmsActionRate);
    expect(run.report.trades.filter((t) => t.flags.includes('dtms')).length).toBe(
      Math.round(d.actionRate * run.report.metrics.trades),
    );
    const m = run.report.metrics;
    expect(m.trades).toBeGreaterThan(50);
    for (const k of [
      'winRate',
      'rmagTriggerRate',
      'breakevenRate',
      'trailingActivationRate',
      'breakevenHitRate',
      'dtmsActionRate',
      'maxDrawdownPct',
    ] as const) {
      expect(m[k]).toBeGreaterThanOrEqual(0);
      expect(m[k]).toBeLessThanOrEqual(1);
    }
    expect(m.breakevenRate).toBeGreaterThan(0);
    expect(m.trailingActivationRate).toBeGreaterThan(0);
    const kinds = new Set(ls.map((l) => (JSON.parse(l) as { kind: string }).kind));
    for (const k of ['open', 'breakeven', 'partial', 'trail', 'dtms', 'close']) expect(kinds).toContain(k);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      metrics: typeof m;
      trades: unknown[];
      data: { first: string };
    };
    expect(report.metrics).toEqual(m);
    expect(report.data.first).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const csv = readFileSync(path.join(dir, 'trades.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe(TRADES_CSV_HEADER);
    expect(csv.length - 1).toBe(m.trades);
    // MFE and MAE in R come last (older readers of the first 16 columns keep working), as report.json has them.
    expect(TRADES_CSV_HEADER.split(',').slice(0, 16).join(',')).toBe(
      'positionId,side,volume,entryTime,entryPrice,initialSl,tp,exitTime,exitPrice,exitReason,r,profit,tradeType,trailMoves,flags,comment',
    );
    expect(TRADES_CSV_HEADER.split(',').slice(16)).toEqual(['mfeR', 'maeR']);
    const rows = run.report.trades;
    csv.slice(1).forEach((line, k) => {
      const cells = line.split(',');
      const [mfe, mae] = cells.slice(-2).map((x) => (x === '' ? null : Number(x)));
      expect([mfe, mae]).toEqual([rows[k]!.mfeR, rows[k]!.maeR]);
    });
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg/);
    expect(html).not.toMatch(/https?:\/\//);
    const short = renderReportHtml(run.report, [], { maxTradeRows: 10 });
    expect(short.match(/<tr id="trade-/g)).toHaveLength(10);
    expect(short).toContain(`The first 10 trades are listed; ${m.trades - 10} more are in trades.csv`);
    // Net profit is the sum of the trades, and the equity curve ends there.
    const sum = run.report.trades.reduce((a, t) => a + t.profit, 0);
    expect(m.netProfit).toBeCloseTo(sum, 1);
    expect(run.report.equity.at(-1)![1]).toBeCloseTo(10_000 + sum, 0);
  });

  it('is byte-identical when run twice with the same inputs', async () => {
    const a = tmp();
    const b = tmp();
    await runReplayJob(job('BTCUSDc', { outDir: a }));
    await runReplayJob(job('BTCUSDc', { outDir: b }));
    for (const f of REPLAY_FILES)
      expect(readFileSync(path.join(b, f)).equals(readFileSync(path.join(a, f))), f).toBe(true);
  });

  it('with 20% broker faults: nothing applied twice, every unknown answer reconciled, no loosened stop', async () => {
    const j = job('EURUSD', { broker: { accountMode: 'hedging', faults: { rate: 0.2, seed: 9 } } }, 20_000, 60);
    const run = await runReplayJob(j);
    const ls = lines(run, null);
    const inv = checkDecisionInvariants(ls, j.instrument);
    expect(inv.violations).toEqual([]);
    const results = ls.map((l) => JSON.parse(l) as { result: string; intentId: string; reason: string });
    expect(results.filter((r) => r.result === 'unknown').length).toBeGreaterThan(0);
    expect(results.filter((r) => r.result === 'rejected' && r.intentId).length).toBeGreaterThan(0);
    expect(results.some((r) => r.reason.startsWith('reconciled: the broker shows the change took effect'))).toBe(true);
    const audit = run.result.broker.audit;
    expect(audit.duplicateIds).toBe(0);
    expect(audit.loosened).toBe(0);
    expect(audit.overClose).toBe(0);
    expect(audit.faults.timeout).toBeGreaterThan(0);
  });

  it('runs a netting account and a fixed spread', async () => {
    const j = job('GBPUSD', { broker: { accountMode: 'netting', spreadMode: 'fixed', spreadPoints: 20 } }, 12_000, 400);
    const run = await runReplayJob(j);
    expect(checkDecisionInvariants(lines(run, null), j.instrument).violations).toEqual([]);
    expect(run.report.broker.spread).toMatch(/fixed 20 points/);
    expect(run.report.metrics.trades).toBeGreaterThan(5);
  });

  it('on a netting account an entry while a position is held is not taken, and says why (it would net into it)', async () => {
    // An entry every 20 bars: most come while the previous trade is still open.
    const j = job('GBPUSD', { broker: { accountMode: 'netting' } }, 6000, 20);
    const run = await runReplayJob(j);
    expect(checkDecisionInvariants(lines(run, null), j.instrument).violations).toEqual([]);
    expect(run.report.entries.rejected).toBeGreaterThan(10);
    expect(run.report.metrics.trades + run.report.entries.rejected).toBe(j.entries.length);
    const refused = run.decisions.lines!.filter((l) => l.includes('a netting account already holds a position'));
    expect(refused.length).toBe(run.report.entries.rejected);
  });
});

describe('entries', () => {
  const inst = instrumentFromConfig(config, 'XAUUSDc');
  it('opens a file entry at the open of the next bar at or after its time', async () => {
    const data = sampleBars(inst, 3, 4000);
    const series = readSeries(data.source);
    const t = series.time[2500]! + 30_000; // between bars 2500 and 2501
    const csv = `time,symbol,side,volume,sl,tp,comment\n${new Date(t).toISOString()},XAUUSD,buy,0.10,1,99999,"my, trade"\n`;
    const { entries, errors } = parseEntriesCsv(csv, 'e.csv', inst, config.symbols);
    expect(errors).toEqual([]);
    expect(entries[0]!.comment).toBe('my, trade');
    const run = await runReplayJob({ ...job('XAUUSDc'), bars: data.source, data: data.data, entries });
    const open = JSON.parse(run.decisions.lines![0]!) as { kind: string; time: string; price: number; reason: string };
    expect(open.kind).toBe('open');
    expect(Date.parse(open.time)).toBe(series.time[2501]);
    expect(open.price).toBeCloseTo(series.open[2501]! + series.spread[2501]!, 6);
    expect(open.reason).toContain('e.csv:2');
  });

  it('reports every bad row with its line and reason', async () => {
    const csv = [
      'time,symbol,side,volume,sl,tp,comment',
      '2024-01-02T10:00:00Z,EURUSD,buy,0.1,1,2,',
      '2024-01-02 10:00:00,XAUUSD,buy,0.1,1,2,',
      '2024-01-02T10:00:00Z,XAUUSD,hold,0.1,1,2,',
      '2024-01-02T10:00:00Z,XAUUSD,buy,0.015,1,2,',
      '2024-01-02T10:00:00Z,XAUUSD,sell,0.1,1,2,',
      '2024-01-02T10:00:00Z,XAUUSD,buy,0.1,abc,2,',
      '2024-01-02T11:00:00Z,XAUUSDc,buy,0.1,,,ok',
      '2024-01-02T10:00:00Z,XAUUSD,buy,0.1,,,late',
    ].join('\n');
    const { entries, errors } = parseEntriesCsv(csv, 'e.csv', inst, config.symbols);
    expect(entries).toHaveLength(1);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 9]);
    expect(errors[0]!.reason).toMatch(/not the replayed instrument/);
    expect(errors[1]!.reason).toMatch(/with a zone/);
    expect(errors[2]!.reason).toMatch(/buy or sell/);
    expect(errors[3]!.reason).toMatch(/lot step/);
    expect(errors[4]!.reason).toMatch(/sl 1 must be above its tp 2/);
    expect(errors[5]!.reason).toMatch(/positive price/);
    expect(errors[6]!.reason).toMatch(/sort the file/);
    expect(parseEntriesCsv('a,b\n', 'x.csv', inst, config.symbols).errors[0]!.reason).toMatch(/expected header/);
  });

  it('generates reproducible entries: SL = k x ATR, TP = RR x SL, from the fill price', async () => {
    const data = sampleBars(inst, 3, 8000);
    const o = { ...DEFAULT_GENERATED, every: 200, seed: 1, side: 'random' as const };
    const a = generateEntries(data.source, 'M1', o);
    expect(generateEntries(data.source, 'M1', o)).toEqual(a);
    expect(a.length).toBeGreaterThan(20);
    expect(new Set(a.map((e) => e.side)).size).toBe(2);
    for (const e of a) expect(e.tpDistance / e.slDistance).toBeCloseTo(2, 9);
    expect(generateEntries(data.source, 'M1', { ...o, seed: 2 }).map((e) => e.side)).not.toEqual(a.map((e) => e.side));
    const alt = generateEntries(data.source, 'M1', { ...o, side: 'alternate' });
    expect(alt.slice(0, 4).map((e) => e.side)).toEqual(['buy', 'sell', 'buy', 'sell']);
  });

  it('alternate sides: --seed picks the first side (odd: buy, even: sell); the entries are otherwise the same', () => {
    const data = sampleBars(inst, 3, 8000);
    const o = { ...DEFAULT_GENERATED, every: 200, side: 'alternate' as const };
    const odd = generateEntries(data.source, 'M1', { ...o, seed: 7 });
    const even = generateEntries(data.source, 'M1', { ...o, seed: 2 });
    expect(odd.slice(0, 3).map((e) => e.side)).toEqual(['buy', 'sell', 'buy']);
    expect(even.slice(0, 3).map((e) => e.side)).toEqual(['sell', 'buy', 'sell']);
    expect(even.map((e) => e.time)).toEqual(odd.map((e) => e.time));
    expect(even.map((e) => e.slDistance)).toEqual(odd.map((e) => e.slDistance));
  });
});

describe('replay inputs', () => {
  const inst = instrumentFromConfig(config, 'XAUUSDc');
  const write = (file: string, bars: { time: number; open: number; high: number; low: number; close: number }[]) =>
    writeFileSync(
      file,
      [
        'time,open,high,low,close,volume,spread',
        ...bars.map((b) => `${new Date(b.time).toISOString()},${b.open},${b.high},${b.low},${b.close},1,0.3`),
      ].join('\n') + '\n',
    );

  it('replays H1 bars with M1 bars deciding which of SL/TP came first, and joins consecutive files', async () => {
    const dir = tmp();
    const m1 = readSeries(sampleBars(inst, 21, 30_000).source);
    const h1: { time: number; open: number; high: number; low: number; close: number }[] = [];
    for (let i = 0; i < m1.length; i++) {
      const t = Math.floor(m1.time[i]! / 3_600_000) * 3_600_000;
      const last = h1[h1.length - 1];
      if (last && last.time === t) {
        last.high = Math.max(last.high, m1.high[i]!);
        last.low = Math.min(last.low, m1.low[i]!);
        last.close = m1.close[i]!;
      } else h1.push({ time: t, open: m1.open[i]!, high: m1.high[i]!, low: m1.low[i]!, close: m1.close[i]! });
    }
    write(path.join(dir, 'h1a.csv'), h1.slice(0, 250));
    write(path.join(dir, 'h1b.csv'), h1.slice(250));
    write(path.join(dir, 'm1.csv'), m1.toBars());
    const bars = loadBarFiles([path.join(dir, 'h1b.csv'), path.join(dir, 'h1a.csv')], {
      instrument: inst,
      fillFile: path.join(dir, 'm1.csv'),
    });
    expect(bars.timeframe).toBe('H1');
    expect(bars.source.length).toBe(h1.length);
    expect(bars.fine!.length).toBe(m1.length);
    const entries = generateEntries(bars.source, 'H1', { ...DEFAULT_GENERATED, every: 3, seed: 2, warmupBars: 30 });
    const base = { ...job('XAUUSDc'), bars: bars.source, timeframe: 'H1' as const, data: bars.data, entries };
    const fine = await runReplayJob({ ...base, broker: { accountMode: 'hedging', fineBars: bars.fine! } });
    const coarse = await runReplayJob({ ...base, broker: { accountMode: 'hedging' } });
    expect(checkDecisionInvariants(fine.decisions.lines!, inst).violations).toEqual([]);
    expect(fine.report.broker.intrabar).toContain('resolved on finer bars');
    // Stop-first on whole H1 bars is the pessimistic bound: finer bars can only turn some stops into targets.
    expect(fine.report.metrics.trades).toBe(coarse.report.metrics.trades);
    expect(fine.report.counts['close.take_profit'] ?? 0).toBeGreaterThanOrEqual(
      coarse.report.counts['close.take_profit'] ?? 0,
    );
    expect(() => loadBarFiles([path.join(dir, 'h1a.csv'), path.join(dir, 'h1a.csv')], { instrument: inst })).toThrow(
      /overlaps/,
    );
    expect(() => loadBarFiles([path.join(dir, 'h1a.csv'), path.join(dir, 'm1.csv')], { instrument: inst })).toThrow(
      /--fill-bars/,
    );
  });
});

describe('spread-less bar files', () => {
  const series = (spreads: number[]) => {
    const s = new BarSeries(spreads.length);
    spreads.forEach((sp, i) => s.push(i * 60_000, 1, 1, 1, 1, 0, sp));
    return s;
  };

  it('a file is spread-less when no bar has a spread above 0', () => {
    expect(spreadlessKind(series([0, 0, 0]))).toBe('zero');
    expect(spreadlessKind(series([NaN, 0, NaN]))).toBe('zero');
    expect(spreadlessKind(series([NaN, NaN]))).toBe('missing');
    // Crossed (negative) and zero spreads beside real ones: the file has spreads.
    expect(spreadlessKind(series([-0.0001, 0, 0.0002]))).toBeNull();
    expect(spreadlessKind(series([NaN, 0.01]))).toBeNull();
  });

  it('of joined files only the spread-less one is listed, at its place in the series, and filled', () => {
    const dir = tmp();
    const rows = (from: number, n: number, spread: string) =>
      Array.from(
        { length: n },
        (_, i) =>
          `${new Date(Date.UTC(2024, 0, 2) + (from + i) * 60_000).toISOString()},1900,1901,1899,1900,1,${spread}`,
      );
    const head = 'time,open,high,low,close,volume,spread';
    writeFileSync(path.join(dir, 'a.csv'), [head, ...rows(0, 5, '0.3')].join('\n') + '\n');
    writeFileSync(path.join(dir, 'b.csv'), [head, ...rows(5, 4, '0')].join('\n') + '\n');
    const bars = loadBarFiles([path.join(dir, 'b.csv'), path.join(dir, 'a.csv')], {
      instrument: instrumentFromConfig(config, 'XAUUSD'),
    });
    expect(bars.spreadless).toEqual([{ file: 'b.csv', spreads: 'zero', from: 5, to: 8 }]);
    fillSpreadless(bars.source, bars.spreadless, 0.25);
    const series = readSeries(bars.source);
    expect(Array.from(series.spread.subarray(0, series.length))).toEqual([
      0.3, 0.3, 0.3, 0.3, 0.3, 0.25, 0.25, 0.25, 0.25,
    ]);
  });
});

describe('balance gone', () => {
  it('stops opening entries when the realized balance is 0 or below, closes what is open at that bar, and says so', async () => {
    const dir = tmp();
    const j = job('XAUUSDc', { outDir: dir, startingBalance: 150 }, 20_000, 60);
    const run = await runReplayJob(j);
    const gone = run.report.balanceGone!;
    expect(gone).toBeDefined();
    const last = run.report.equity[run.report.equity.length - 1]!;
    expect(last[1]).toBeLessThanOrEqual(0);
    expect(last[0]).toBeLessThanOrEqual(gone.time);
    // Nothing opened or closed after it; the entries after it are counted, not taken.
    for (const t of run.report.trades) {
      expect(t.entryTime).toBeLessThanOrEqual(gone.time);
      expect(t.exitTime).toBeLessThanOrEqual(gone.time);
    }
    expect(gone.entriesNotTaken).toBeGreaterThan(0);
    expect(gone.entriesNotTaken + (run.report.counts['entries.opened'] ?? 0) + run.report.entries.rejected).toBe(
      j.entries.length,
    );
    expect(j.entries.filter((e) => e.time > gone.time).length).toBeLessThanOrEqual(gone.entriesNotTaken);
    const text = `balance gone at ${new Date(gone.time).toISOString().replace('.000Z', 'Z')}: replay stopped, ${gone.entriesNotTaken} entries not taken`;
    expect(summaryLine(run.report, null)).toContain(text);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain(text);
    const json = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
      balanceGone: { time: string; entriesNotTaken: number };
    };
    expect(json.balanceGone).toEqual({
      time: new Date(gone.time).toISOString().replace('.000Z', 'Z'),
      entriesNotTaken: gone.entriesNotTaken,
    });
    expect(checkDecisionInvariants(lines(run, dir), j.instrument).violations).toEqual([]);
  });

  it('a run that keeps its balance says nothing about it', async () => {
    const dir = tmp();
    const run = await runReplayJob(job('XAUUSDc', { outDir: dir }, 8000, 120));
    expect(run.report.balanceGone).toBeUndefined();
    expect(readFileSync(path.join(dir, 'report.json'), 'utf8')).not.toContain('balanceGone');
    expect(summaryLine(run.report, null)).not.toContain('balance gone');
  });
});

// A replay played from bar files read in small steps writes exactly what the same bars in memory write
// (decisions, report, trade rows and charts), finer bars for fills included; and a file that changes
// between the passes stops the replay with an error instead of replaying other bars.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { BarSeries } from '../../src/market/barSeries.ts';
import { InMemoryBars, readSeries } from '../../src/market/barSource.ts';
import { isoTime } from '../../src/replay/decisionLog.ts';
import { DEFAULT_GENERATED, generateEntries } from '../../src/replay/entries.ts';
import { loadBarFiles, ReplayInputError, sampleBars } from '../../src/replay/replayInputs.ts';
import { runReplayJob, type ReplayJob } from '../../src/replay/replayRun.ts';
import { replayRunKey } from '../../src/replay/runKey.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'warden-streamed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = defaultConfig();
const instrument = instrumentFromConfig(config, 'XAUUSD');

function writeCsv(file: string, s: BarSeries, from = 0, to = s.length): void {
  const rows = ['time,open,high,low,close,volume,spread'];
  for (let i = from; i < to; i++)
    rows.push(
      `${isoTime(s.time[i]!)},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]},${s.spread[i]}`,
    );
  writeFileSync(file, rows.join('\n') + '\n');
}

/** M1 bars aggregated into H1 bars (open time on the hour). */
function hourly(m1: BarSeries): BarSeries {
  const s = new BarSeries(m1.length / 60 + 2);
  for (let i = 0; i < m1.length; i++) {
    const t = Math.floor(m1.time[i]! / 3_600_000) * 3_600_000;
    const k = s.length - 1;
    if (k >= 0 && s.time[k] === t) {
      s.high[k] = Math.max(s.high[k]!, m1.high[i]!);
      s.low[k] = Math.min(s.low[k]!, m1.low[i]!);
      s.close[k] = m1.close[i]!;
      s.volume[k] = s.volume[k]! + m1.volume[i]!;
    } else s.push(t, m1.open[i]!, m1.high[i]!, m1.low[i]!, m1.close[i]!, m1.volume[i]!, m1.spread[i]!);
  }
  return s;
}

async function both(files: string[], fillFile: string | undefined, timeframe: 'M1' | 'H1', every: number) {
  const loaded = loadBarFiles(files, { instrument, chunkBytes: 4096, ...(fillFile ? { fillFile } : {}) });
  const memory = new InMemoryBars(readSeries(loaded.source));
  const fineMemory = loaded.fine ? new InMemoryBars(readSeries(loaded.fine)) : null;
  const entries = generateEntries(loaded.source, timeframe, {
    ...DEFAULT_GENERATED,
    every,
    seed: 3,
    side: 'random',
    atrTimeframe: 'H1',
    warmupBars: timeframe === 'H1' ? 30 : 1500,
    slAtr: 0.6,
    rr: 1,
  });
  expect(
    generateEntries(memory, timeframe, {
      ...DEFAULT_GENERATED,
      every,
      seed: 3,
      side: 'random',
      atrTimeframe: 'H1',
      warmupBars: timeframe === 'H1' ? 30 : 1500,
      slAtr: 0.6,
      rr: 1,
    }),
  ).toEqual(entries);
  const base: Omit<ReplayJob, 'bars' | 'broker'> = {
    config,
    instrument,
    timeframe,
    data: loaded.data,
    entries,
    entriesSource: 'generated',
    startingBalance: 10_000,
    outDir: null,
    version: 'test',
  };
  const streamed = await runReplayJob({
    ...base,
    bars: loaded.source,
    broker: { accountMode: 'hedging', ...(loaded.fine ? { fineBars: loaded.fine } : {}) },
  });
  const inMemory = await runReplayJob({
    ...base,
    bars: memory,
    broker: { accountMode: 'hedging', ...(fineMemory ? { fineBars: fineMemory } : {}) },
  });
  // The same bars give the same run key, streamed or in memory.
  expect(replayRunKey({ ...base, bars: loaded.source, broker: { accountMode: 'hedging' } })).toBe(
    replayRunKey({ ...base, bars: memory, broker: { accountMode: 'hedging' } }),
  );
  return { streamed, inMemory };
}

describe('a replay streamed from files', () => {
  const m1 = readSeries(sampleBars(instrument, 9, 12_000).source);

  it('writes what the same bars in memory write, two joined files read in 4 KB steps', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    writeCsv(a, m1, 0, 5000);
    writeCsv(b, m1, 5000);
    const { streamed, inMemory } = await both([b, a], undefined, 'M1', 120);
    expect(streamed.report.metrics.trades).toBeGreaterThan(20);
    expect(streamed.decisions.lines).toEqual(inMemory.decisions.lines);
    expect(JSON.stringify(streamed.report)).toBe(JSON.stringify(inMemory.report));
  });

  it('with finer bars deciding SL against TP: the same as in memory, and the finer bars decided some', async () => {
    const h1File = path.join(dir, 'h1.csv');
    const m1File = path.join(dir, 'm1.csv');
    writeCsv(h1File, hourly(m1));
    writeCsv(m1File, m1);
    const { streamed, inMemory } = await both([h1File], m1File, 'H1', 2);
    expect(streamed.decisions.lines).toEqual(inMemory.decisions.lines);
    expect(JSON.stringify(streamed.report)).toBe(JSON.stringify(inMemory.report));
    const coarse = await both([h1File], undefined, 'H1', 2);
    expect(JSON.stringify(coarse.streamed.report.trades)).not.toBe(JSON.stringify(streamed.report.trades));
  });

  it('a file read again on each pass (no column file) that changes between the passes is refused, naming it', async () => {
    const f = path.join(dir, 'changing.csv');
    writeCsv(f, m1, 0, 4000);
    const loaded = loadBarFiles([f], { instrument, columns: false });
    appendFileSync(
      f,
      `${isoTime(m1.time[4000]!)},${m1.open[4000]},${m1.high[4000]},${m1.low[4000]},${m1.close[4000]},1,0.3\n`,
    );
    const job: ReplayJob = {
      config,
      instrument,
      bars: loaded.source,
      timeframe: 'M1',
      data: loaded.data,
      entries: [],
      entriesSource: 'none',
      broker: { accountMode: 'hedging' },
      startingBalance: 10_000,
      outDir: null,
      version: 'test',
    };
    await expect(runReplayJob(job)).rejects.toThrow(ReplayInputError);
    await expect(runReplayJob(job)).rejects.toThrow(
      /changing\.csv changed while Warden was replaying it \(4000 bars when first read, 4001 now\)/,
    );
  });

  it('plays the bars as scanned from their column file: a change to the file afterwards does not reach the replay', () => {
    const f = path.join(dir, 'scanned.csv');
    writeCsv(f, m1, 0, 3000);
    const loaded = loadBarFiles([f], { instrument, chunkBytes: 4096 });
    writeFileSync(f, 'time,open,high,low,close,volume,spread\n');
    const played = new BarSeries(16);
    loaded.source.forEachChunk((chunk) => played.append(chunk));
    expect(played.length).toBe(3000);
    expect(Array.from(played.close.subarray(0, 3000))).toEqual(Array.from(m1.close.subarray(0, 3000)));
    expect(Array.from(played.time.subarray(0, 3000))).toEqual(Array.from(m1.time.subarray(0, 3000)));
  });
});

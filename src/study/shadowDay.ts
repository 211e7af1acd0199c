// A played day in shadow mode, on a bar file: what `warden serve --shadow` does on the embedded paper
// account, with the market played from real bars instead of generated ones. The same parts as serve (the
// paper account as the venue, the account session with its store, the engine loop opening demo positions
// as a trader would, SL 1.5 ATR and TP 2R), run as fast as the machine goes: Warden decides on every
// position and sends nothing; the shadow book scores each position's would-be result against the actual
// one. The days before the played one warm the features (up to two weeks of M1 bars; at least 5,000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaperAccount } from '../brokers/paperAccount.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { Bar } from '../domain/types.ts';
import { AccountSession } from '../execution/accountSession.ts';
import { ShadowBook, shadowTotals, type ShadowScore, type ShadowTotals } from '../execution/shadowBook.ts';
import { fillSpreadless, loadBarFiles } from '../replay/replayInputs.ts';
import { readSeries } from '../market/barSource.ts';
import { replayInstrument, replayInstrumentRules } from '../replay/replayInstrument.ts';
import { EngineLoop } from '../service/engineLoop.ts';
import { openSqliteStore } from '../store/sqliteStore.ts';

const DAY_MS = 86_400_000;
const WARMUP_MS = 14 * DAY_MS;

export interface ShadowDayOptions {
  file: string;
  symbol: string;
  config: WardenConfig;
  /** The UTC day to play (epoch ms of its 00:00); default: see defaultShadowDay. */
  day?: number;
  /** Demo positions kept open (default 2), each opened at least `reopenBars` bars after the last (default 30). */
  demoPositions?: number;
  reopenBars?: number;
}

export interface ShadowDayResult {
  file: string;
  symbol: string;
  day: string;
  bars: number;
  /** Decisions recorded as shadow (would-be intents), and requests of Warden's the venue applied (must be 0). */
  shadowDecisions: number;
  sentRequests: number;
  scores: ShadowScore[];
  totals: ShadowTotals;
  spreadNote: string | null;
}

/** A day with this many M1 bars is a trading day worth playing; its two weeks before need this many to warm up. */
const MIN_DAY_BARS = 1_000;
const MIN_WARMUP_BARS = 5_000;

/**
 * The day played when none is given: the first weekday (Monday to Friday, 00:00 UTC) with at least
 * 1,000 bars of its own and 5,000 in the two weeks before (a file with holes, as recorded crypto data
 * has, skips them). NaN when the file has no such day.
 */
export function defaultShadowDay(bars: readonly Bar[]): number {
  if (bars.length === 0) return Number.NaN;
  const perDay = new Map<number, number>();
  for (const b of bars) {
    const d = Math.floor(b.time / DAY_MS) * DAY_MS;
    perDay.set(d, (perDay.get(d) ?? 0) + 1);
  }
  const last = bars[bars.length - 1]!.time;
  for (let d = Math.floor(bars[0]!.time / DAY_MS) * DAY_MS + DAY_MS; d <= last; d += DAY_MS) {
    if ([0, 6].includes(new Date(d).getUTCDay()) || (perDay.get(d) ?? 0) < MIN_DAY_BARS) continue;
    let before = 0;
    for (let k = d - WARMUP_MS; k < d; k += DAY_MS) before += perDay.get(k) ?? 0;
    if (before >= MIN_WARMUP_BARS) return d;
  }
  return Number.NaN;
}

export async function playShadowDay(o: ShadowDayOptions): Promise<ShadowDayResult> {
  const config = o.config;
  const instrument = replayInstrument(config, o.symbol, true);
  const loaded = loadBarFiles([o.file], { instrument });
  // One day and the two weeks before it are played: the file is read into memory.
  let spreadNote: string | null = null;
  if (loaded.spreadless.length > 0) {
    const points = replayInstrumentRules(config, o.symbol).defaultSpreadPoints;
    if (points === undefined)
      throw new Error(
        `${o.file}: no spread in the data, and no instruments.${instrument.canonical}.defaultSpreadPoints`,
      );
    const spread = Number((points * instrument.point).toFixed(instrument.digits + 2));
    fillSpreadless(loaded.source, loaded.spreadless, spread);
    spreadNote = `no spreads in the data: played with the ${instrument.canonical} default, ${points} points`;
  }
  if (loaded.timeframe !== 'M1')
    throw new Error(`${o.file}: a played day needs M1 bars, this file is ${loaded.timeframe}`);
  const all = readSeries(loaded.source).toBars();
  if (all.length === 0) throw new Error(`${o.file}: no bars`);
  const day = o.day ?? defaultShadowDay(all);
  if (!Number.isFinite(day))
    throw new Error(
      `${o.file}: no weekday with ${MIN_DAY_BARS} M1 bars and ${MIN_WARMUP_BARS} in the two weeks before it`,
    );
  const history = all.filter((b) => b.time >= day - WARMUP_MS && b.time < day);
  const played = all.filter((b) => b.time >= day && b.time < day + DAY_MS);
  if (played.length === 0) throw new Error(`${o.file}: no bar on ${new Date(day).toISOString().slice(0, 10)}`);

  const dir = mkdtempSync(path.join(tmpdir(), 'warden-shadow-day-'));
  const store = openSqliteStore(path.join(dir, 'shadow.db'), { now: day });
  try {
    const paper = new PaperAccount([instrument], { accountMode: 'hedging', timeframeMs: 60_000 });
    paper.addHistory(o.symbol, history.slice(-2000));
    const last = history[history.length - 1];
    if (last) paper.onBar(o.symbol, last, last.time + 60_000);
    let marketTime = last ? last.time + 60_000 : day;
    const shadow = new ShadowBook([o.symbol]);
    const session = new AccountSession({
      config,
      baseTimeframe: 'M1',
      instruments: [instrument],
      broker: paper,
      store,
      clock: () => marketTime,
      shadow,
      sleep: async () => {},
      storeSleep: async () => {},
    });
    await session.start(new Map([[o.symbol, history]]));
    let next = 0;
    const market = {
      nextBar: (): { symbol: string; bar: Bar } | null =>
        next < played.length ? { symbol: o.symbol, bar: played[next++]! } : null,
    };
    const loop = new EngineLoop({
      market,
      account: paper,
      session,
      instruments: [instrument],
      speed: 1e9,
      demoPositions: o.demoPositions ?? 2,
      reopenBars: o.reopenBars ?? 30,
      beforeStep: (_s, closeTime) => {
        marketTime = Math.max(marketTime, closeTime);
      },
      sleep: async () => {},
      now: () => 0,
    });
    await loop.run();
    await session.close();
    const scores = shadow.scores();
    const sentRequests = paper
      .snapshot()
      .symbols.flatMap((s) => s.broker.appliedIds.filter((id) => !id.startsWith('demo:'))).length;
    const shadowDecisions = store.recentDecisions(1_000_000).filter((r) => r.outcome === 'shadow').length;
    return {
      file: o.file,
      symbol: o.symbol,
      day: new Date(day).toISOString().slice(0, 10),
      bars: played.length,
      shadowDecisions,
      sentRequests,
      scores,
      totals: shadowTotals(scores),
      spreadNote,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

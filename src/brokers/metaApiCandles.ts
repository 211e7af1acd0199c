// What the MetaApi adapter reads of a symbol's candles: MetaApi's timeframe names, a candle as a Bar
// (its spread from points to price units), and the closed bars of the history, paged backwards.
import type { Bar, Timeframe } from '../domain/types.ts';
import { describeError } from './metaApiErrors.ts';
import type { MetaApiGateway, MetatraderCandle } from './metaApiGateway.ts';
import { candleSchema, parsed } from './metaApiRecords.ts';

/** MetaApi's timeframe names. */
export const METAAPI_TIMEFRAME: Readonly<Record<Timeframe, string>> = {
  M1: '1m',
  M5: '5m',
  M15: '15m',
  M30: '30m',
  H1: '1h',
  H4: '4h',
};

/** Candles per getHistoricalCandles request (MetaApi's maximum). */
const CANDLE_PAGE = 1000;

/** Reads a candle of `symbol` (whose point is `point`) as a Bar; throws on a malformed one. */
export function barReader(symbol: string, point: number): (raw: unknown) => Bar {
  return (raw) => {
    const c = parsed(candleSchema, raw, `candle of ${symbol}`);
    // Rounded: 16 x 0.001 is 0.016000000000000004 in binary.
    const spread =
      c.spread !== undefined && Number.isFinite(c.spread) && c.spread >= 0
        ? Math.round(c.spread * point * 1e10) / 1e10
        : Number.NaN;
    return {
      time: c.time,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.tickVolume ?? c.volume ?? 0,
      spread,
    };
  };
}

/**
 * The last `n` bars of `tf` opened at or before `closedBy`, oldest first, from account.getHistoricalCandles
 * (pages going back until enough are closed or the history ends). `secrets` are kept out of the error.
 */
export async function historicalCandles(
  gw: MetaApiGateway,
  symbol: string,
  tf: string,
  n: number,
  closedBy: number,
  toBar: (raw: unknown) => Bar,
  secrets: string[],
): Promise<Bar[]> {
  const byTime = new Map<number, Bar>();
  let closed = 0;
  let start: Date | undefined;
  for (;;) {
    // One more than missing: the latest candle is usually the one forming.
    const want = Math.min(CANDLE_PAGE, n - closed + 1);
    let page: MetatraderCandle[];
    try {
      page = await gw.getHistoricalCandles(symbol, tf, start, want);
    } catch (err) {
      throw new Error(`metaapi: no ${tf} candles for ${symbol}: ${describeError(err, secrets)}`);
    }
    let oldest = Number.POSITIVE_INFINITY;
    let added = 0;
    for (const raw of page) {
      const bar = toBar(raw);
      oldest = Math.min(oldest, bar.time);
      if (byTime.has(bar.time)) continue;
      byTime.set(bar.time, bar);
      added++;
      if (bar.time <= closedBy) closed++;
    }
    if (closed >= n || added === 0 || page.length < want) break;
    start = new Date(oldest - 1);
  }
  const bars = [...byTime.values()].filter((b) => b.time <= closedBy).sort((a, b) => a.time - b.time);
  return bars.slice(Math.max(0, bars.length - n));
}

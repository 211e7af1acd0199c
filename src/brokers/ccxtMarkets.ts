// What the ccxt adapter reads of a venue's markets: a market's trading rules as an Instrument, and
// its closed candles.
// - Stops and freeze levels do not exist on crypto venues: 0. The tick size is the point.
// - Candles: fetchOHLCV, one more than asked (the last is usually still forming: left out by the
//   clock), in pages of 1,000 going back (ccxt's cap) when more are wanted.
import type { Exchange, Market as MaybeMarket } from 'ccxt';
import { TIMEFRAME_MS, type Bar, type Instrument, type Timeframe } from '../domain/types.ts';

export type Market = NonNullable<MaybeMarket>;

/** The most candles ccxt's binance fetchOHLCV asks for in one request. */
const OHLCV_PAGE = 1000;

/** ccxt's timeframe names. */
const CCXT_TIMEFRAME: Readonly<Record<Timeframe, string>> = {
  M1: '1m',
  M5: '5m',
  M15: '15m',
  M30: '30m',
  H1: '1h',
  H4: '4h',
};

/**
 * The instrument of market `m` (`name`: the adapter's, for the error). `hedging` reads the account's
 * position mode, asked only of a market with a tick size and a lot step.
 */
export async function instrumentOf(
  name: string,
  symbol: string,
  m: Market,
  hedging: () => Promise<boolean>,
): Promise<Instrument> {
  const tickSize = Number(m.precision.price);
  const lotStep = Number(m.precision.amount);
  if (!(tickSize > 0) || !(lotStep > 0)) throw new Error(`${name}: market ${symbol} has no tick size or lot step`);
  return {
    symbol,
    canonical: `${m.base}${m.quote === 'USDT' || m.quote === 'USDC' ? 'USD' : m.quote}`,
    tickSize,
    digits: decimals(tickSize),
    point: tickSize,
    lotStep,
    minLot: m.limits.amount?.min ?? lotStep,
    maxLot: m.limits.amount?.max ?? Number.MAX_SAFE_INTEGER,
    contractSize: m.contractSize ?? 1,
    stopsLevelPoints: 0,
    freezeLevelPoints: 0,
    hedging: await hedging(),
    crypto: true,
  };
}

/** The last `limit` closed candles of `symbol`, oldest first; `clock` (epoch ms) tells the one still forming. */
export async function closedCandles(
  ex: Exchange,
  symbol: string,
  timeframe: Timeframe,
  limit: number,
  clock: () => number,
): Promise<Bar[]> {
  const n = Math.max(0, Math.floor(limit));
  if (!(n > 0)) return [];
  // One more than asked: the venue's last candle is usually the one still forming. ccxt caps a
  // request at 1,000 candles, so longer histories are read in pages going back (`until` = endTime).
  const want = n + 1;
  const tf = CCXT_TIMEFRAME[timeframe];
  let rows = await ex.fetchOHLCV(symbol, tf, undefined, Math.min(want, OHLCV_PAGE));
  let full = rows.length === Math.min(want, OHLCV_PAGE);
  while (full && rows.length < want) {
    const oldest = Number(rows[0]?.[0]);
    const ask = Math.min(want - rows.length, OHLCV_PAGE);
    const older = (await ex.fetchOHLCV(symbol, tf, undefined, ask, { until: oldest - 1 })).filter(
      (r) => Number(r[0]) < oldest,
    );
    full = older.length === ask;
    rows = [...older, ...rows];
  }
  const closedBy = clock() - TIMEFRAME_MS[timeframe];
  const bars: Bar[] = [];
  for (const r of rows) {
    const [time, open, high, low, close, volume] = r;
    if (typeof time !== 'number' || time > closedBy) continue;
    bars.push({
      time,
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume ?? 0),
      spread: Number.NaN,
    });
  }
  return bars.slice(Math.max(0, bars.length - n));
}

function decimals(step: number): number {
  let d = 0;
  while (d < 12 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-9) d++;
  return d;
}

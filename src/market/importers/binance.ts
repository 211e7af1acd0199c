// Binance kline CSV (data.binance.vision): no header (an optional `open_time,...` header row is
// skipped), 12 columns
//   open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore
// open_time in UTC epoch ms (13 digits), or µs (16 digits) in the spot files since 2025. No spread.
import { type BarSink, forEachRow, integerIn, parseDecimal, splitCells } from './scan.ts';

export const BINANCE_COLUMNS = 12;

/** Reads Binance klines from text[pos] (line number `line`). Returns the line number after the text. */
export function readBinanceRows(text: string, pos: number, line: number, sink: BarSink): number {
  const cs = new Int32Array(BINANCE_COLUMNS + 1);
  const ce = new Int32Array(BINANCE_COLUMNS + 1);
  return forEachRow(text, pos, line, (s, e, ln) => {
    const n = splitCells(text, s, e, ',', cs, ce);
    if (n !== BINANCE_COLUMNS) return sink.reject(ln, `expected ${BINANCE_COLUMNS} columns, found ${n}`);
    const ts = cs[0]!;
    const te = ce[0]!;
    const stamp = integerIn(text, ts, te);
    const digits = te - ts;
    if (stamp < 0 || (digits !== 13 && digits !== 16)) {
      return sink.reject(ln, `open time "${text.slice(ts, te)}" is not epoch ms (13 digits) or µs (16 digits)`);
    }
    const time = digits === 16 ? Math.floor(stamp / 1000) : stamp;
    const vs = cs[5]!;
    const ve = ce[5]!;
    const p = (i: number) => parseDecimal(text, cs[i]!, ce[i]!);
    sink.add(ln, time, p(1), p(2), p(3), p(4), parseDecimal(text, vs, ve), NaN, text, ts, te, vs, ve, 0, 0);
  });
}

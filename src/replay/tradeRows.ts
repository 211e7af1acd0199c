// A trade as the report's row (trades.csv, report.json): prices, exit, R, profit in the account
// currency, the flags of what happened to it, and its excursions in R.
import type { Instrument } from '../domain/types.ts';
import { toAccountCurrency } from './metrics.ts';
import type { TradeRow } from './reportModel.ts';
import type { TradeState } from './tradeBook.ts';

/**
 * The largest favourable and adverse moves from the entry price while the trade was open, in price
 * units: from the highest high and lowest low of the bars from the entry bar to the exit bar, both
 * included (the exit bar's far side may lie after the fill: a bar is the finest time replay has).
 */
export function tradeExcursions(t: Pick<TradeState, 'side' | 'entryPrice' | 'highest' | 'lowest'>): {
  favourable: number;
  adverse: number;
} {
  if (t.highest === -Infinity) return { favourable: 0, adverse: 0 };
  const up = Math.max(0, t.highest - t.entryPrice);
  const down = Math.max(0, t.entryPrice - t.lowest);
  return t.side === 'buy' ? { favourable: up, adverse: down } : { favourable: down, adverse: up };
}

const timeOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function tradeRow(t: TradeState, inst: Instrument): TradeRow {
  const riskPrice = t.initialSl === null ? NaN : Math.abs(t.entryPrice - t.initialSl);
  const risk = riskPrice * t.volume * inst.contractSize;
  const ex = tradeExcursions(t);
  const inR = (x: number) => (riskPrice > 0 ? Number((x / riskPrice).toFixed(4)) : null);
  const flags: string[] = [];
  if (t.breakeven) flags.push('breakeven');
  if (t.partial) flags.push('partial');
  if (t.partialSkipped) flags.push('partial_skipped');
  if (t.trailMoves > 0) flags.push('trailed');
  if (t.rmag) flags.push('rmag');
  if (t.gapFill) flags.push('gap_fill');
  if (t.dtmsActions > 0) flags.push('dtms');
  if (t.hedged) flags.push('hedged');
  if (t.reAddOf !== '') flags.push('re_add');
  const exitPrice = t.exitVolume > 0 ? t.exitValue / t.exitVolume : NaN;
  const lastPrice = t.closes.length > 0 ? exitPrice : t.entryPrice;
  return {
    positionId: t.id,
    side: t.side,
    volume: t.volume,
    entryTime: t.entryTime,
    entryPrice: t.entryPrice,
    initialSl: t.initialSl,
    tp: t.tp,
    exitTime: t.exitTime,
    exitPrice: Number(exitPrice.toFixed(inst.digits + 2)),
    exitReason: t.exitReason ?? 'end_of_data',
    r: risk > 0 ? Number((t.realized / risk).toFixed(4)) : null,
    profit: Number(toAccountCurrency(t.realized, lastPrice, inst.canonical).toFixed(2)),
    tradeType: t.tradeType,
    flags,
    trailMoves: t.trailMoves,
    comment: t.comment,
    mfeR: inR(ex.favourable),
    maeR: inR(ex.adverse),
    breakevenTime: timeOrNull(t.breakevenTime),
    firstTrailTime: timeOrNull(t.firstTrailTime),
    trailGatePassed: t.trailGatePassed,
    dtmsWarningTime: timeOrNull(t.dtmsWarningTime),
    dtmsStopTime: timeOrNull(t.dtmsStopTime),
  };
}

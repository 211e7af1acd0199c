// Trade statistics and the exit system's success rates over a replay's trades (the targets: RMAG
// trigger rate < 50%, trailing activation after breakeven > 80%, breakeven hit rate < 30%, DTMS
// action rate > 0%). Shares are 0..1.
//   rmagTriggerRate         trades whose triggers were tightened by RMAG stretch at any refresh
//   breakevenRate           trades whose plan reached breakeven
//   trailingActivationRate  of those, trades whose stop actually trailed (at least one applied move)
//   trailingGateRate        of those, trades whose trail's critical gate passed (a looser reading of "activated")
//   breakevenHitRate        trades that reached breakeven and then closed at a stop before any trail
//                           move, whoever set that stop (the breakeven rule, or DTMS tightening it)
//   dtmsActionRate          trades with at least one DTMS action applied at the broker
//   dtmsFirstHourRate       trades whose stop DTMS moved within the trade's first hour
import type { ReplayMetrics, TradeRow } from './reportModel.ts';

export interface TradeFacts {
  breakeven: boolean;
  trailMoves: number;
  trailGatePassed: boolean;
  entryTime: number;
  dtmsStopTime: number;
  rmag: boolean;
  dtmsActions: number;
  exitReason: string | null;
  /** Account currency realized at each close: [time, profit]. */
  closes: [number, number][];
}

/** The account currency profits are reported in: USD when the quote or the base is USD, else the quote currency. */
export function accountCurrency(canonical: string): string {
  if (/^[A-Z]{6}$/.test(canonical)) {
    const base = canonical.slice(0, 3);
    const quote = canonical.slice(3);
    return quote === 'USD' || base === 'USD' ? 'USD' : quote;
  }
  return 'quote currency';
}

/** Profit in the quote currency to the account currency: a USD-base pair (USDJPY) divides by the price. */
export function toAccountCurrency(profitQuote: number, price: number, canonical: string): number {
  if (/^USD[A-Z]{3}$/.test(canonical) && canonical !== 'USDUSD' && price > 0) return profitQuote / price;
  return profitQuote;
}

const HOUR_MS = 3_600_000;
const STOPS_AFTER_BREAKEVEN = new Set(['breakeven_stop', 'dtms_stop']);

/** Reached breakeven, then closed at a stop before the trail ever moved it. */
export const breakevenHit = (f: Pick<TradeFacts, 'breakeven' | 'trailMoves' | 'exitReason'>): boolean =>
  f.breakeven && f.trailMoves === 0 && f.exitReason !== null && STOPS_AFTER_BREAKEVEN.has(f.exitReason);

const r6 = (x: number) => Number(x.toFixed(6));
const r2 = (x: number) => Number(x.toFixed(2));

export function computeMetrics(
  facts: readonly TradeFacts[],
  rows: readonly TradeRow[],
  startingBalance: number,
): { metrics: ReplayMetrics; equity: [number, number][] } {
  const n = rows.length;
  let wins = 0;
  let losses = 0;
  let gp = 0;
  let gl = 0;
  let rSum = 0;
  let rN = 0;
  for (const row of rows) {
    if (row.profit > 0) {
      wins++;
      gp += row.profit;
    } else if (row.profit < 0) {
      losses++;
      gl -= row.profit;
    }
    if (row.r !== null) {
      rSum += row.r;
      rN++;
    }
  }
  const closes: [number, number, number][] = [];
  facts.forEach((f, i) => f.closes.forEach((c, k) => closes.push([c[0], i * 1e6 + k, c[1]])));
  // Time order; same-time closes in trade order, so the curve is deterministic.
  closes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const equity: [number, number][] = [];
  let eq = startingBalance;
  let peak = startingBalance;
  let maxDd = 0;
  let maxDdPct = 0;
  for (const [t, , p] of closes) {
    eq += p;
    equity.push([t, r2(eq)]);
    if (eq > peak) peak = eq;
    const dd = peak - eq;
    if (dd > maxDd) maxDd = dd;
    if (peak > 0 && dd / peak > maxDdPct) maxDdPct = dd / peak;
  }
  const be = facts.filter((f) => f.breakeven);
  const metrics: ReplayMetrics = {
    trades: n,
    wins,
    losses,
    winRate: n ? r6(wins / n) : 0,
    expectancyR: rN ? r6(rSum / rN) : null,
    profitFactor: gl > 0 ? r6(gp / gl) : null,
    maxDrawdown: r2(maxDd),
    maxDrawdownPct: r6(maxDdPct),
    netProfit: r2(gp - gl),
    grossProfit: r2(gp),
    grossLoss: r2(gl),
    rmagTriggerRate: n ? r6(facts.filter((f) => f.rmag).length / n) : 0,
    breakevenRate: n ? r6(be.length / n) : 0,
    trailingActivationRate: be.length ? r6(be.filter((f) => f.trailMoves > 0).length / be.length) : 0,
    trailingGateRate: be.length ? r6(be.filter((f) => f.trailGatePassed).length / be.length) : 0,
    breakevenHitRate: n ? r6(facts.filter(breakevenHit).length / n) : 0,
    dtmsFirstHourRate: n ? r6(facts.filter((f) => f.dtmsStopTime - f.entryTime < HOUR_MS).length / n) : 0,
    dtmsActionRate: n ? r6(facts.filter((f) => f.dtmsActions > 0).length / n) : 0,
  };
  return { metrics, equity };
}

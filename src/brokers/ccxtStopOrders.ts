// Binance's conditional (algo) orders as a position's exits: which are a position's stops and target,
// how much a stop protects, which of several stops is the position's stop loss, the price an order
// triggers at; and placing, resizing and cancelling Warden's reduce-only stops (make before break).
import type { Exchange } from 'ccxt';
import type { Position, Side } from '../domain/types.ts';
import { errorClasses } from './ccxtErrors.ts';
import type { AlgoOrderInfo } from './ccxtRecords.ts';

/** A position's exits at the venue. */
export interface Exits {
  /** The position's stop orders, oldest first: the last is its stop loss (see `stopsOldestFirst`). */
  stops: AlgoOrderInfo[];
  target: AlgoOrderInfo | null;
}

/** Quantities within this of each other are the same (Binance's amounts are lot-step decimals). */
export const QTY_EPS = 1e-9;

/** How much of a position of `size` a stop order closes: all of it (closePosition), or its quantity up to the size. */
export function protectedBy(o: AlgoOrderInfo, size: number): number {
  if (o.closePosition === true) return size;
  const q = Number(o.quantity ?? 0);
  return Number.isFinite(q) && q > 0 ? Math.min(q, size) : 0;
}

/**
 * Stop orders oldest first: by creation time, then by algo id (Binance numbers them in increasing
 * order). The newest is the position's stop loss: a move places the new stop before it cancels the old
 * one, so two stops mean the old one's cancel has not gone through (yet), and the new one is the decision.
 */
export function stopsOldestFirst(stops: readonly AlgoOrderInfo[]): AlgoOrderInfo[] {
  const num = (v: string | number | undefined) => (v === undefined ? Number.NaN : Number(v));
  return [...stops].sort((a, b) => {
    const ta = num(a.createTime);
    const tb = num(b.createTime);
    if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
    const ia = num(a.algoId);
    const ib = num(b.algoId);
    return Number.isFinite(ia) && Number.isFinite(ib) ? ia - ib : 0;
  });
}

/** The price a stop or target order triggers at. */
export function triggerOf(o: AlgoOrderInfo): number {
  return Number(o.triggerPrice ?? o.stopPrice);
}

/** The stops and target of the position on `marketId` and `side` among a venue's open algo orders (`positionSide`: its hedge-mode side, or BOTH). */
export function exitsOf(algo: readonly AlgoOrderInfo[], marketId: string, side: Side, positionSide: string): Exits {
  const closing = side === 'buy' ? 'SELL' : 'BUY';
  const mine = algo.filter(
    (o) =>
      o.symbol === marketId &&
      o.side === closing &&
      (o.positionSide ?? 'BOTH') === positionSide &&
      (o.closePosition === true || o.reduceOnly === true || positionSide !== 'BOTH'),
  );
  const kind = (o: AlgoOrderInfo) => o.orderType ?? o.type ?? '';
  return {
    stops: stopsOldestFirst(mine.filter((o) => kind(o) === 'STOP_MARKET')),
    target: mine.find((o) => kind(o) === 'TAKE_PROFIT_MARKET') ?? null,
  };
}

/**
 * A reduce-only STOP_MARKET for `volume` on the closing side, triggered by the mark price (hedge
 * mode: on the position's side, which Binance takes instead of reduceOnly). Not closePosition: Binance
 * holds one closePosition stop per side (-4130 while one is open), so a new one could only go in
 * after the old one is gone; quantity stops can stand side by side for the moment of a move.
 */
export async function placeStop(
  ex: Exchange,
  position: Position,
  sl: number,
  volume: number,
  cid: string,
  hedged: boolean,
): Promise<void> {
  const closing = position.side === 'buy' ? 'sell' : 'buy';
  await ex.createOrder(
    position.symbol,
    'market',
    closing,
    Number(ex.amountToPrecision(position.symbol, volume)),
    undefined,
    {
      stopLossPrice: sl,
      workingType: 'MARK_PRICE',
      clientOrderId: cid,
      ...(hedged ? { positionSide: position.side === 'buy' ? 'LONG' : 'SHORT' } : { reduceOnly: true }),
    },
  );
}

/**
 * Cancels stops a newer one replaced (best effort, never throws): each up to 3 tries, looking
 * between tries whether it is still open (a cancel whose answer was lost took effect; "unknown
 * order" is a stop gone already). One left behind is the position's second stop: still protected,
 * and the next read of the positions cancels it (`positions`).
 */
export async function cancelStops(
  ex: Exchange,
  position: Position,
  stale: readonly AlgoOrderInfo[],
  stopsNow: () => Promise<AlgoOrderInfo[]>,
): Promise<void> {
  for (const o of stale) {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) {
        const open = await stopsNow().catch(() => undefined);
        if (open !== undefined && !open.some((x) => String(x.algoId) === String(o.algoId))) break;
      }
      try {
        await ex.cancelOrder(String(o.algoId), position.symbol, { trigger: true });
        break;
      } catch (err) {
        if (
          errorClasses(err).includes('OrderNotFound') ||
          /"code"\s*:\s*-2011\b/.test(err instanceof Error ? err.message : '')
        )
          break;
      }
    }
  }
}

/**
 * Puts the position's stop at its size after a partial close: a new reduce-only stop of the
 * remaining quantity at the same trigger first, then the old one cancelled (best effort, never
 * throws). Only a quantity stop larger than what is open is resized (a closePosition stop follows
 * the size itself; a smaller one is the trader's choice). If this fails, or the process dies before
 * it, the old stop stays: reduce-only (in hedge mode: on the position's side), it can only close,
 * never open the other way, so it still protects the whole remainder; the next move places a stop of
 * the size open then. Whether Binance, on a trigger, closes what is open of a reduce-only order
 * larger than the position or refuses it has not been recorded, which is why it is resized at once.
 */
export async function resizeStop(
  ex: Exchange,
  position: Position,
  rest: number,
  cid: string,
  hedged: boolean,
  stopsNow: () => Promise<AlgoOrderInfo[]>,
): Promise<void> {
  if (!(rest > QTY_EPS)) return;
  try {
    const stops = await stopsNow();
    const stop = stops.at(-1);
    if (!stop || stop.closePosition === true || !(Number(stop.quantity ?? 0) > rest + QTY_EPS)) return;
    const left: Position = { ...position, volume: rest };
    try {
      await placeStop(ex, left, triggerOf(stop), rest, cid, hedged);
    } catch {
      // A lost answer may hide a stop that went in: looked up; not there, the old one stays.
      if (!(await stopsNow()).some((o) => o.clientAlgoId === cid)) return;
    }
    await cancelStops(ex, left, stops, stopsNow);
  } catch {
    // The venue unreadable: the old stop stays (see above).
  }
}

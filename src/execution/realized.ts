// What Warden's own requests realized on a position, read from the intent journal: its applied partial
// and whole closes, and the DTMS hedges it opened and closed, each at the fill the venue answered with
// (the intent_fills rows) or, for a request answered before fills were kept or settled by reconciliation
// (no answer named a price), at the price its decision saw, said so. The open position's "realized so
// far" and a closed trade's Warden side are both counted here.
//
// Rules:
//   - a close of the position is an applied close_partial or close whose target is the position's own
//     ticket; one whose target is another ticket closes its DTMS hedge;
//   - DTMS holds one hedge at a time, so the n-th applied open is the hedge the n-th hedge close
//     closed; an open without a close yet is the hedge still open;
//   - profit of a close: side sign x (fill - entry) x volume x contract size; of a hedge: the hedge's side
//     sign x (close fill - open fill) x volume x contract size.
import { closesHedge } from '../domain/lifetime.ts';
import { sideSign, type ExitRule, type Side } from '../domain/types.ts';
import type { IntentFill, StoredIntent } from '../store/store.ts';

/** One of Warden's applied requests that traded (a close, a partial close, an open). */
export interface WardenFill {
  intentId: string;
  /** When it was answered (the session's clock), or the decision's time when that is all there is. */
  time: number;
  rule: ExitRule;
  partial: boolean;
  volume: number;
  price: number;
  /** The venue's answer named the fill, or the decision's price stands in. */
  from: 'journal' | 'decision';
}

export interface WardenHedge {
  /** The hedge's ticket as its close named it (null while no close was applied). */
  ticket: string | null;
  side: Side;
  volume: number;
  open: WardenFill;
  close: WardenFill | null;
}

/** Warden's side of a position: its closes, in journal order, and its DTMS hedges. */
export interface WardenBook {
  closes: WardenFill[];
  hedges: WardenHedge[];
}

/**
 * Reads Warden's book of one lifetime from its intents and their fills. The closes, the opens and the
 * hedge closes each keep the order they are given in (journal order within a kind is enough: opens pair
 * with hedge closes by their rank).
 */
export function wardenBook(intents: readonly StoredIntent[], fills: readonly IntentFill[], ticket: string): WardenBook {
  const fillOf = new Map(fills.map((f) => [f.intentId, f]));
  const closes: WardenFill[] = [];
  const opens: { fill: WardenFill; side: Side }[] = [];
  const hedgeCloses: { fill: WardenFill; ticket: string }[] = [];
  for (const s of intents) {
    if (s.status !== 'applied') continue;
    const it = s.intent;
    if (it.kind === 'move_stop') continue;
    const f = fillOf.get(it.id);
    const fill: WardenFill = {
      intentId: it.id,
      time: f?.at ?? s.resolvedAt ?? it.time,
      rule: it.rule,
      partial: it.kind === 'close_partial',
      volume: it.volume,
      price: f?.price ?? it.price,
      from: f !== undefined ? 'journal' : 'decision',
    };
    if (it.kind === 'open') opens.push({ fill, side: it.side });
    else if (closesHedge(it)) hedgeCloses.push({ fill, ticket: it.targetId });
    else if (it.targetId === '' || it.targetId === ticket) closes.push(fill);
  }
  const hedges: WardenHedge[] = opens.map((o, i) => ({
    ticket: hedgeCloses[i]?.ticket ?? null,
    side: o.side,
    volume: o.fill.volume,
    open: o.fill,
    close: hedgeCloses[i]?.fill ?? null,
  }));
  return { closes, hedges };
}

/** Profit of closing `volume` of a `side` position entered at `entry`, at `price`. */
export function closeProfit(side: Side, entry: number, price: number, volume: number, contractSize: number): number {
  return sideSign(side) * (price - entry) * volume * contractSize;
}

/** A hedge's realized profit (null while it is open). */
export function hedgeProfit(h: WardenHedge, contractSize: number): number | null {
  return h.close === null ? null : sideSign(h.side) * (h.close.price - h.open.price) * h.volume * contractSize;
}

/**
 * What Warden's requests realized so far on a position entered at `entry`: its partial (and whole)
 * closes, and its hedges closed. Hedges still open count nothing yet.
 */
export function realizedSoFar(
  book: WardenBook,
  side: Side,
  entry: number,
  contractSize: number,
): { closes: number; hedges: number; total: number; fromDecision: boolean } {
  let closes = 0;
  let hedges = 0;
  let fromDecision = false;
  for (const c of book.closes) {
    closes += closeProfit(side, entry, c.price, c.volume, contractSize);
    fromDecision ||= c.from === 'decision';
  }
  for (const h of book.hedges) {
    const p = hedgeProfit(h, contractSize);
    if (p === null) continue;
    hedges += p;
    fromDecision ||= h.open.from === 'decision' || h.close?.from === 'decision';
  }
  return { closes, hedges, total: closes + hedges, fromDecision };
}

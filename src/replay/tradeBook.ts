// Replay's book of trades: every position the replay opened (a recorded entry, or a DTMS re-add), what
// happened to it, and its realized profit, DTMS hedges included (a hedge's profit is its trade's).
// Trades that can no longer change (closed, no hedge of theirs open) are settled: a checkpoint writes
// them once and shares them, the others it copies.
import type { Position } from '../domain/types.ts';
import type { AccountRiskBook } from './accountRiskBook.ts';
import { toAccountCurrency } from './metrics.ts';
import type { ExitReason, TradeChart } from './reportModel.ts';

/** Everything replay learns about one position. */
export interface TradeState {
  id: string;
  side: 'buy' | 'sell';
  comment: string;
  entryIdx: number;
  entryTime: number;
  entryPrice: number;
  /**
   * The highest high and lowest low of the bars from the entry bar to the exit bar, both included
   * (the trade's excursions), gathered while the bars play.
   */
  highest: number;
  lowest: number;
  volume: number;
  openVolume: number;
  initialSl: number | null;
  tp: number | null;
  sl: number | null;
  slSetBy: 'initial' | 'breakeven' | 'trail' | 'dtms';
  /** Quote currency, partial closes and DTMS hedges included. */
  realized: number;
  /** The part of `realized` from the trade's own position (the broker's realized profit for its ticket). */
  ownRealized: number;
  exitValue: number;
  exitVolume: number;
  exitIdx: number;
  exitTime: number;
  exitReason: ExitReason | null;
  tradeType: string;
  breakeven: boolean;
  partial: boolean;
  partialSkipped: boolean;
  trailMoves: number;
  /** When breakeven and the first trail move were applied at the broker (NaN: never). */
  breakevenTime: number;
  firstTrailTime: number;
  /** The trail rule's critical gate passed at least once (the loose reading of "trailing activated"). */
  trailGatePassed: boolean;
  /** When DTMS first left HEALTHY for this trade, and first moved its stop (NaN: never). */
  dtmsWarningTime: number;
  dtmsStopTime: number;
  rmag: boolean;
  gapFill: boolean;
  /** DTMS actions applied at the broker for this trade, and whether it was hedged. */
  dtmsActions: number;
  hedged: boolean;
  /** Set for a DTMS re-add: the trade it re-adds to. */
  reAddOf: string;
  /** Stop path and events are kept for the charted trades only (memory and time on long replays). */
  charted: boolean;
  stopPath: [number, number | null][];
  events: TradeChart['events'];
  /** Account currency realized at each close: [time, profit]. */
  closes: [number, number][];
}

/** A trade and its place in the replay's list of trades (the order trades opened). */
export interface PlacedTrade {
  index: number;
  trade: TradeState;
}

/** What the book needs of the paper broker: the realized profit of a ticket (quote currency). */
export interface RealizedProfits {
  realizedProfit(positionId: string): number;
}

/** The book as a replay checkpoint keeps it (see ReplayCheckpoint). */
export interface TradeBookState {
  /** Trades so far; each trade is in `settled` or `unsettled` with its place in the replay's trade list. */
  tradeCount: number;
  /**
   * Trades that can no longer change (closed, and no DTMS hedge of theirs open), in the order they
   * settled: a later checkpoint of the same run (resumed or not) holds these first, then the newer ones.
   */
  settled: PlacedTrade[];
  /** The others: open, or closed with a hedge still open (its close is booked to the trade). */
  unsettled: PlacedTrade[];
  /** Open trades' ids, in the order replay holds them. */
  open: string[];
  /** Open DTMS hedges: [ticket, trade id], in order. */
  hedgeOf: [string, string][];
  hedgesOpened: number;
  hedgeProfit: number;
}

export class TradeBook {
  /** Open trades by ticket, in the order replay holds them. */
  readonly open = new Map<string, TradeState>();
  /** Every trade, in the order they opened. */
  readonly all: TradeState[] = [];
  /** Open DTMS hedges: ticket -> the trade they hedge (whose R and profit include them). */
  readonly hedgeOf = new Map<string, TradeState>();
  hedgesOpened = 0;
  hedgeProfit = 0;
  // Places in `all` of the trades that may still change, and the trades that cannot (in the order
  // checkpoints found them settled): a checkpoint copies the former and shares the latter.
  private unsettled: number[] = [];
  private readonly settled: PlacedTrade[] = [];

  constructor(
    private readonly broker: RealizedProfits,
    private readonly risk: AccountRiskBook,
    private readonly canonical: string,
    /** Trades whose stop path and events are kept (the first ones). */
    private readonly chartLimit: number,
  ) {}

  /** A position replay opened (an entry or a re-add) becomes a trade. */
  add(p: Position, idx: number, time: number, comment: string): TradeState {
    const t: TradeState = {
      id: p.id,
      side: p.side,
      comment,
      entryIdx: idx,
      entryTime: time,
      entryPrice: p.entryPrice,
      highest: -Infinity,
      lowest: Infinity,
      volume: p.volume,
      openVolume: p.volume,
      initialSl: p.sl,
      tp: p.tp,
      sl: p.sl,
      slSetBy: 'initial',
      realized: 0,
      ownRealized: 0,
      exitValue: 0,
      exitVolume: 0,
      exitIdx: -1,
      exitTime: Number.NaN,
      exitReason: null,
      tradeType: '',
      breakeven: false,
      partial: false,
      partialSkipped: false,
      trailMoves: 0,
      breakevenTime: Number.NaN,
      firstTrailTime: Number.NaN,
      trailGatePassed: false,
      dtmsWarningTime: Number.NaN,
      dtmsStopTime: Number.NaN,
      rmag: false,
      gapFill: false,
      dtmsActions: 0,
      hedged: false,
      reAddOf: '',
      charted: this.all.length < this.chartLimit,
      stopPath: [[time, p.sl]],
      events: [],
      closes: [],
    };
    this.open.set(t.id, t);
    this.unsettled.push(this.all.length);
    this.all.push(t);
    return t;
  }

  /** A close of the trade's own position (its profit: the broker's realized for it, less what is booked). */
  recordClose(t: TradeState, time: number, price: number, volume: number): void {
    const profitQuote = this.broker.realizedProfit(t.id) - t.ownRealized;
    t.ownRealized += profitQuote;
    t.realized += profitQuote;
    t.exitValue += price * volume;
    t.exitVolume += volume;
    const p = toAccountCurrency(profitQuote, price, this.canonical);
    t.closes.push([time, p]);
    this.risk.book(time, p);
  }

  /** A DTMS hedge opened for trade `t`. */
  hedgeOpened(hedgeId: string, t: TradeState): void {
    this.hedgeOf.set(hedgeId, t);
    this.hedgesOpened++;
    t.hedged = true;
  }

  /** A close of a trade's DTMS hedge: its profit is the trade's. Returns the trade (undefined: not a hedge). */
  recordHedgeClose(hedgeId: string, time: number, price: number): TradeState | undefined {
    const t = this.hedgeOf.get(hedgeId);
    if (!t) return undefined;
    this.hedgeOf.delete(hedgeId);
    const profitQuote = this.broker.realizedProfit(hedgeId);
    t.realized += profitQuote;
    const p = toAccountCurrency(profitQuote, price, this.canonical);
    t.closes.push([time, p]);
    this.hedgeProfit += p;
    this.risk.book(time, p);
    return t;
  }

  /** The trade's own position is closed: its exit, and the rails' run of stops. */
  finish(t: TradeState, idx: number, time: number, reason: ExitReason, byStop: boolean): void {
    t.exitIdx = idx;
    t.exitTime = time;
    t.exitReason = reason;
    t.openVolume = 0;
    this.risk.tradeClosed(byStop, t.realized);
    this.open.delete(t.id);
  }

  /** Moves the trades that can no longer change (closed, no hedge of theirs open) to the settled list. */
  private settle(): void {
    const hedged = new Set(this.hedgeOf.values());
    const still: number[] = [];
    for (const k of this.unsettled) {
      const t = this.all[k]!;
      if (this.open.get(t.id) === t || hedged.has(t)) still.push(k);
      else this.settled.push({ index: k, trade: t });
    }
    this.unsettled = still;
  }

  /** The book for a checkpoint: settled trades shared (they never change again), the others copied. */
  state(): TradeBookState {
    this.settle();
    return {
      tradeCount: this.all.length,
      settled: this.settled.slice(),
      unsettled: this.unsettled.map((k) => ({ index: k, trade: structuredClone(this.all[k]!) })),
      open: [...this.open.keys()],
      hedgeOf: [...this.hedgeOf].map(([h, t]) => [h, t.id]),
      hedgesOpened: this.hedgesOpened,
      hedgeProfit: this.hedgeProfit,
    };
  }

  /** Picks a checkpoint's book up (on an empty book). Throws when its trades do not fit together. */
  restore(cp: TradeBookState): void {
    const placed: (TradeState | undefined)[] = new Array<TradeState | undefined>(cp.tradeCount).fill(undefined);
    const place = (p: PlacedTrade, t: TradeState): void => {
      if (!Number.isSafeInteger(p.index) || p.index < 0 || p.index >= cp.tradeCount || placed[p.index] !== undefined) {
        throw new Error(
          `replay: the checkpoint places trade #${t.id} at ${p.index}, outside its ${cp.tradeCount} trades or on another one`,
        );
      }
      placed[p.index] = t;
    };
    for (const p of cp.settled) {
      place(p, p.trade);
      this.settled.push(p);
    }
    const byId = new Map<string, TradeState>();
    for (const p of cp.unsettled) {
      const t = structuredClone(p.trade);
      place(p, t);
      this.unsettled.push(p.index);
      byId.set(t.id, t);
    }
    this.unsettled.sort((a, b) => a - b);
    for (let k = 0; k < placed.length; k++) {
      if (placed[k] === undefined)
        throw new Error(`replay: the checkpoint has no trade at ${k} of its ${cp.tradeCount}`);
      this.all.push(placed[k]!);
    }
    for (const id of cp.open) this.open.set(id, byId.get(id)!);
    for (const [h, id] of cp.hedgeOf) this.hedgeOf.set(h, byId.get(id)!);
    this.hedgesOpened = cp.hedgesOpened;
    this.hedgeProfit = cp.hedgeProfit;
  }
}

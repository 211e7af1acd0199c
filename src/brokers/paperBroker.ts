// The paper broker: a deterministic, MT5-like simulated account for one instrument, used by replay
// (and later as the service's embedded default broker). No I/O, no clock (time comes with each
// quote or bar), no Math.random (faults draw from a seeded generator).
//
// Rules (MetaTrader 5's, with its retcodes from brokerAnswer.ts):
// - Quotes. setQuote(time, bid, spread): ask = bid + spread, where spread is the bar's spread in
//   price units, or spreadPoints x point when it is unknown (NaN) or spreadMode is 'fixed'. The ask
//   is normalised to `digits` so prices stay on the broker's grid. Market orders fill at the quote:
//   a buy at the ask, a sell at the bid; a buy position exits at the bid, a sell at the ask.
// - Stops (open / modify). SL and TP must be on the tick grid and beyond the stops level from the
//   exit-side price (the checks of paperOrderChecks.ts), else INVALID_STOPS. A modify validates only
//   the levels it changes, so an unchanged TP close to the price does not block a stop move (the
//   freeze level covers that case). The broker does NOT refuse a loosening stop (real brokers
//   don't), but counts it in audit.loosened.
// - Modify to the same SL and TP: NO_CHANGES, reported as applied (checked first, so a retried modify
//   that already went through is not refused for being near a level now).
// - Freeze level. Modify, partial close and close are refused with FROZEN while the position is
//   within the freeze level of its SL or TP.
// - Unknown or closed position: POSITION_CLOSED. None of the validation refusals is retryable.
// - Volumes. Orders: lot-step multiple, >= minLot, <= maxLot, else INVALID_VOLUME. Partial closes:
//   lot-step multiple and >= minLot (INVALID_VOLUME); more than is open is INVALID_CLOSE_VOLUME
//   (counted in audit.overClose); the remainder must be 0 or >= minLot (INVALID_VOLUME). Volumes are
//   kept as integer counts of lot steps.
// - Hedging account: every order opens its own position (an opposite one is a hedge).
//   Netting account: one position per symbol. Same side adds (volume-weighted entry; the order's SL/TP,
//   when given, replace the position's). Opposite side reduces or closes it ('net' deals, keeping its
//   stops) or reverses it: the old ticket closes and the remainder opens a NEW ticket with the order's
//   SL/TP (MT5 gives a reversed position the reversing order's id). The order's stops are validated
//   for the order's side even when it only reduces. As with partial closes, an order that would leave
//   (or reverse into) a position below the min lot is INVALID_VOLUME.
// - Tickets are sequential strings from firstTicket; only new positions take one.
// - Bar fills (fillBar, once per bar before the engine sees it). A buy's SL/TP are compared with the
//   bid range (low..high), a sell's with the ask range (low+spread..high+spread). A bar that OPENS
//   beyond a level fills at the open (gap: true; a gapped TP gets the better price). Only one level in
//   the bar: filled at that level. Both: with fineBars, the fine bars inside [bar.time, bar.time +
//   timeframeMs) are walked in order and the first touch wins (same rules; a fine bar touching both
//   uses the intrabar rule; no fine bar touching either falls back to the rule on the whole bar).
//   Intrabar rule: 'stop_first' (default, pessimistic), 'target_first', or 'ohlc_path' (a bar closing up
//   goes O->L->H->C, else O->H->L->C: the first level met along that path). A fill's time is the open
//   time of the bar (or fine bar) that decided it. Stops fill at their level: no slippage model.
// - Profit in quote currency per deal: sign x (price - entry) x volume x contractSize; every open, add,
//   net, partial, close and fill is a deal. Fills carry requestId '' (no request made them).
// - Before it runs, every request meets the market's hours, the faults (optional, from a seeded
//   generator) and the audit's counts (paperRequests.ts).
// - Exempt requests (`exempt: true` on open, the third argument of close) are the harness's own
//   actions, e.g. replay's recorded entries and its end-of-data close: they draw no fault (so they do
//   not shift the fault sequence of the requests under test) and are left out of the audit. An
//   exempt close also ignores the freeze level: it is bookkeeping, not a trading request.
import { isTighterStop } from '../domain/rounding.ts';
import type { Bar, Instrument, Intent, Position, Side } from '../domain/types.ts';
import { FineBarWindow } from '../market/fineBarWindow.ts';
import { RETCODE, type BrokerAnswer } from './brokerAnswer.ts';
import type { AccountMode } from './brokerPort.ts';
import { LevelFills } from './paperFills.ts';
import { OrderChecks } from './paperOrderChecks.ts';
import { RequestGate } from './paperRequests.ts';
import type {
  InjectedFault,
  PaperAudit,
  PaperBrokerOptions,
  PaperBrokerSnapshot,
  PaperDeal,
  PaperDealReason,
  PaperFill,
  PaperOrder,
  PaperPosition,
} from './paperTypes.ts';

export type { AccountMode } from './brokerPort.ts';
export type {
  InjectedFault,
  IntrabarRule,
  PaperAudit,
  PaperBrokerOptions,
  PaperBrokerSnapshot,
  PaperDeal,
  PaperDealReason,
  PaperFaults,
  PaperFill,
  PaperOrder,
  PaperPosition,
} from './paperTypes.ts';

// Shared result of fillBar when nothing fills: no allocation on the common path.
const NO_FILLS: readonly PaperFill[] = Object.freeze([]);

export class PaperBroker {
  readonly deals: PaperDeal[] = [];
  readonly audit: PaperAudit;

  private readonly inst: Instrument;
  private readonly netting: boolean;
  /** Where bars fill SL and TP, and the spread and price grid quotes follow. */
  private readonly fills: LevelFills;
  /** Market hours, faults and the audit's counts, met by every request before it runs. */
  private readonly gate: RequestGate;
  /** Volumes in lot steps, stop distances, the freeze level. */
  private readonly checks: OrderChecks;

  private nextTicket: number;
  private qTime = NaN;
  private qBid = NaN;
  private qAsk = NaN;
  /** Open positions in ticket order (tickets only grow, so pushing keeps the order). */
  private readonly book: PaperPosition[] = [];
  private readonly byId = new Map<string, PaperPosition>();
  private readonly realized = new Map<string, number>();
  /** Told of every deal as it is booked (the paper account keeps its balance with it). */
  onDeal: ((deal: PaperDeal) => void) | null = null;
  /** Realized profit of the positions `trimHistory` let go of (quote currency). */
  private closedRealized = 0;

  constructor(instrument: Instrument, options: PaperBrokerOptions) {
    if (!(options.timeframeMs > 0)) throw new RangeError(`timeframeMs must be > 0, got ${options.timeframeMs}`);
    if (!(instrument.lotStep > 0) || !(instrument.tickSize > 0))
      throw new RangeError('instrument lotStep and tickSize must be > 0');
    this.inst = instrument;
    this.netting = options.accountMode === 'netting';
    this.fills = new LevelFills(
      instrument,
      { fixed: options.spreadMode === 'fixed', points: options.spreadPoints ?? 0 },
      options.intrabar ?? 'stop_first',
      options.fineBars === undefined ? undefined : new FineBarWindow(options.fineBars),
      options.timeframeMs,
    );
    this.nextTicket = options.firstTicket ?? 100001;
    this.checks = new OrderChecks(instrument, this.fills.priceEps);
    this.gate = new RequestGate(options.faults);
    this.audit = this.gate.audit;
  }

  // ---------------------------------------------------------------- quotes

  /** Sets the current quote: bid, and ask = bid + the bar's spread (or spreadPoints x point). */
  setQuote(time: number, bid: number, spread: number): void {
    this.qTime = time;
    this.qBid = bid;
    this.qAsk = this.fills.onGrid(bid + this.fills.spreadOf(spread));
  }

  quote(): { time: number; bid: number; ask: number } {
    return { time: this.qTime, bid: this.qBid, ask: this.qAsk };
  }

  /** The rules this broker trades the symbol by. */
  get instrument(): Instrument {
    return this.inst;
  }

  /** Hedging or netting. */
  get accountMode(): AccountMode {
    return this.netting ? 'netting' : 'hedging';
  }

  /**
   * The next request (an audited one) meets this failure instead of a random draw: a refusal, a
   * requote, or a timeout that did or did not take effect. For tests of what drives a broker.
   */
  failNext(kind: InjectedFault): void {
    this.gate.faults.inject(kind);
  }

  /** Opens or closes the market (a session break): while closed every request is MARKET_CLOSED. */
  setMarketOpen(open: boolean): void {
    this.gate.marketOpen = open;
  }

  // -------------------------------------------------------------- requests

  /**
   * Market order at the current quote (buy at the ask, sell at the bid). Hedging: a new position.
   * Netting: adds to, reduces, closes or reverses the symbol's position (see the file header).
   */
  open(req: PaperOrder): BrokerAnswer {
    if (req.exempt === true) return this.doOpen(req);
    return this.gate.request(req.requestId, () => this.doOpen(req));
  }

  modifyStops(requestId: string, positionId: string, sl: number | null, tp: number | null): BrokerAnswer {
    return this.gate.request(requestId, () => this.doModify(positionId, sl, tp));
  }

  closePartial(requestId: string, positionId: string, volume: number): BrokerAnswer {
    return this.gate.request(requestId, () => this.doClosePartial(requestId, positionId, volume));
  }

  /** Closes the whole position at the current exit-side price. `exempt`: a harness close (see the header). */
  close(requestId: string, positionId: string, exempt = false): BrokerAnswer {
    if (exempt) return this.doClose(requestId, positionId, true);
    return this.gate.request(requestId, () => this.doClose(requestId, positionId, false));
  }

  /**
   * Dispatches an engine Intent (requestId = intent.id): move_stop -> modifyStops (keeping TP),
   * close_partial, close (of `targetId`: the position or its DTMS hedge), open (a DTMS hedge or
   * re-add: `side`, `volume`, stop `newSl` (NaN: none), `comment`).
   */
  apply(intent: Intent): BrokerAnswer {
    switch (intent.kind) {
      case 'move_stop': {
        // An unknown position passes tp null; modifyStops answers POSITION_CLOSED for it.
        const ticket = intent.targetId || intent.positionId;
        const tp = this.byId.get(ticket)?.tp ?? null;
        return this.modifyStops(intent.id, ticket, intent.newSl, tp);
      }
      case 'close_partial':
        return this.closePartial(intent.id, intent.targetId || intent.positionId, intent.volume);
      case 'close':
        return this.close(intent.id, intent.targetId || intent.positionId);
      case 'open':
        return this.open({
          requestId: intent.id,
          side: intent.side,
          volume: intent.volume,
          sl: Number.isFinite(intent.newSl) ? intent.newSl : null,
          tp: null,
          comment: intent.comment,
        });
    }
  }

  // ----------------------------------------------------------------- fills

  /**
   * Fills the SL/TP touched by this bar and closes those positions, in ticket order. Call once per
   * bar, before the engine sees it. Returns a shared empty array when nothing fills.
   */
  fillBar(bar: Bar): readonly PaperFill[] {
    const book = this.book;
    const n = book.length;
    if (n === 0) return NO_FILLS;
    const fills = this.fills;
    fills.barSpread = fills.spreadOf(bar.spread);
    let filled: PaperFill[] | null = null;
    let keep = 0;
    for (let i = 0; i < n; i++) {
      const p = book[i]!;
      if ((p.sl === null && p.tp === null) || !fills.touch(p, bar, true)) {
        book[keep++] = p;
        continue;
      }
      const volume = this.checks.volumeOf(p.lots);
      const price = fills.hitPrice;
      this.deal(p, fills.hitTime, volume, price, fills.hitReason, '');
      this.byId.delete(p.id);
      (filled ??= []).push({
        positionId: p.id,
        time: fills.hitTime,
        price,
        volume,
        reason: fills.hitReason,
        gap: fills.hitGap,
      });
    }
    if (keep !== n) book.length = keep;
    return filled ?? NO_FILLS;
  }

  /** Releases the finer bars' file (a replay that ends before the file does). */
  releaseFineBars(): void {
    this.fills.releaseFineBars();
  }

  // -------------------------------------------------------------- restart

  snapshot(): PaperBrokerSnapshot {
    return {
      nextTicket: this.nextTicket,
      quote: { time: this.qTime, bid: this.qBid, ask: this.qAsk },
      book: this.book.map((p) => ({ ...p })),
      realized: [...this.realized],
      appliedIds: [...this.gate.appliedIds],
      audit: structuredClone(this.audit),
      deals: this.deals.map((d) => ({ ...d })),
      faultState: this.gate.faults.state,
    };
  }

  /** Picks a snapshot up on a broker built with the same options and nothing done yet. */
  restore(s: PaperBrokerSnapshot): void {
    if (this.book.length > 0 || this.deals.length > 0)
      throw new Error('PaperBroker.restore: the broker has already traded');
    if ((s.faultState === null) !== (this.gate.faults.state === null))
      throw new Error('PaperBroker.restore: the snapshot and this broker disagree on faults');
    this.nextTicket = s.nextTicket;
    this.qTime = s.quote.time;
    this.qBid = s.quote.bid;
    this.qAsk = s.quote.ask;
    for (const p of s.book) {
      const copy = { ...p };
      this.book.push(copy);
      this.byId.set(copy.id, copy);
    }
    for (const [id, v] of s.realized) this.realized.set(id, v);
    for (const id of s.appliedIds) this.gate.appliedIds.add(id);
    Object.assign(this.audit, structuredClone(s.audit));
    for (const d of s.deals) this.deals.push({ ...d });
    this.gate.faults.state = s.faultState;
  }

  // ------------------------------------------------------------- read side

  /** Copies of the open positions, in ticket order. */
  positions(): Position[] {
    return this.book.map((p) => this.toPosition(p));
  }

  /** A copy of one open position. */
  position(id: string): Position | undefined {
    const p = this.byId.get(id);
    return p ? this.toPosition(p) : undefined;
  }

  /**
   * Forgets what a long-running account no longer needs (the service's paper account runs for days):
   * deals but the last `keep`, the ids of requests but the last `keep`, and the realized profit of
   * each closed position, folded into one sum (`closedProfit`). Replay never calls it: its reports
   * read every deal.
   */
  trimHistory(keep = 200): void {
    if (this.deals.length > keep) this.deals.splice(0, this.deals.length - keep);
    this.gate.trimIds(keep);
    for (const [id, v] of this.realized) {
      if (this.byId.has(id)) continue;
      this.closedRealized += v;
      this.realized.delete(id);
    }
  }

  /** Realized profit of every position that is no longer open (quote currency). */
  closedProfit(): number {
    let sum = this.closedRealized;
    for (const [id, v] of this.realized) if (!this.byId.has(id)) sum += v;
    return sum;
  }

  /** Sets the realized profit carried over from before a restart (see trimHistory). */
  carryClosedProfit(profit: number): void {
    this.closedRealized = profit;
  }

  /** Sum of the profits of every deal of this position (0 when it has none). */
  realizedProfit(positionId: string): number {
    return this.realized.get(positionId) ?? 0;
  }

  // ------------------------------------------------------------ internals

  private doOpen(req: PaperOrder): BrokerAnswer {
    if (!this.hasQuote()) return rejected(RETCODE.INVALID_PRICE, 'no quote yet');
    const lots = this.checks.lotsOf(req.volume);
    if (lots === null || lots < this.checks.minSteps)
      return rejected(RETCODE.INVALID_VOLUME, `volume ${req.volume} is not a lot-step multiple >= min lot`);
    if (lots > this.checks.maxSteps)
      return rejected(RETCODE.INVALID_VOLUME, `volume ${req.volume} is above the max lot ${this.inst.maxLot}`);
    const bad = this.stopError(req.side, 'sl', req.sl) ?? this.stopError(req.side, 'tp', req.tp);
    if (bad !== null) return rejected(RETCODE.INVALID_STOPS, bad);
    const price = req.side === 'buy' ? this.qAsk : this.qBid;

    const held = this.netting ? this.book[0] : undefined;
    if (held === undefined) return this.applied(price, this.openNew(req, lots, price));

    if (held.side === req.side) {
      // Netting add: one position at the volume-weighted entry.
      const total = held.lots + lots;
      held.entry = (held.entry * held.lots + price * lots) / total;
      held.lots = total;
      if (req.sl !== null) held.sl = req.sl;
      if (req.tp !== null) held.tp = req.tp;
      this.deal(held, this.qTime, this.checks.volumeOf(lots), price, 'open', req.requestId, 0);
      return this.applied(price, held.id);
    }

    // Netting opposite order: reduce, close or reverse; the exit side of the held position is this order's price.
    const closing = Math.min(lots, held.lots);
    // Same rule as a partial close: what stays open (either way round) is 0 or >= min lot.
    const left = Math.abs(held.lots - lots);
    if (left > 0 && left < this.checks.minSteps)
      return rejected(
        RETCODE.INVALID_VOLUME,
        `the resulting ${this.checks.volumeOf(left)} would be below the min lot ${this.inst.minLot}`,
      );
    if (this.frozen(held)) return rejected(RETCODE.FROZEN, 'position is within the freeze level of its SL/TP');
    this.deal(held, this.qTime, this.checks.volumeOf(closing), price, 'net', req.requestId);
    held.lots -= closing;
    if (held.lots > 0) return this.applied(price, held.id);
    this.remove(held);
    const rest = lots - closing;
    if (rest === 0) return this.applied(price, held.id);
    return this.applied(price, this.openNew(req, rest, price));
  }

  private openNew(req: PaperOrder, lots: number, price: number): string {
    const p: PaperPosition = {
      id: String(this.nextTicket++),
      side: req.side,
      lots,
      entry: price,
      sl: req.sl,
      tp: req.tp,
      openTime: this.qTime,
      comment: req.comment,
    };
    this.book.push(p);
    this.byId.set(p.id, p);
    this.deal(p, this.qTime, this.checks.volumeOf(lots), price, 'open', req.requestId, 0);
    return p.id;
  }

  private doModify(positionId: string, sl: number | null, tp: number | null): BrokerAnswer {
    const p = this.byId.get(positionId);
    if (!p) return rejected(RETCODE.POSITION_CLOSED, `position ${positionId} is not open`);
    const price = this.exitPrice(p);
    const slChanged = !this.checks.samePrice(sl, p.sl);
    const tpChanged = !this.checks.samePrice(tp, p.tp);
    if (!slChanged && !tpChanged) return { outcome: 'applied', code: RETCODE.NO_CHANGES, price, positionId };
    if (!this.hasQuote()) return rejected(RETCODE.INVALID_PRICE, 'no quote yet');
    const bad =
      (slChanged ? this.stopError(p.side, 'sl', sl) : null) ?? (tpChanged ? this.stopError(p.side, 'tp', tp) : null);
    if (bad !== null) return rejected(RETCODE.INVALID_STOPS, bad);
    if (this.frozen(p)) return rejected(RETCODE.FROZEN, 'position is within the freeze level of its SL/TP');
    // Removing a stop, or moving it towards the loss, loosens it: allowed, but audited.
    if (slChanged && p.sl !== null && (sl === null || !isTighterStop(p.side, sl, p.sl))) this.audit.loosened++;
    p.sl = sl;
    p.tp = tp;
    return this.applied(price, p.id);
  }

  private doClosePartial(requestId: string, positionId: string, volume: number): BrokerAnswer {
    const p = this.byId.get(positionId);
    if (!p) return rejected(RETCODE.POSITION_CLOSED, `position ${positionId} is not open`);
    const lots = this.checks.lotsOf(volume);
    if (lots === null || lots < this.checks.minSteps)
      return rejected(RETCODE.INVALID_VOLUME, `volume ${volume} is not a lot-step multiple >= min lot`);
    if (lots > p.lots) {
      this.audit.overClose++;
      return rejected(
        RETCODE.INVALID_CLOSE_VOLUME,
        `close volume ${volume} is more than the open ${this.checks.volumeOf(p.lots)}`,
      );
    }
    const rest = p.lots - lots;
    if (rest > 0 && rest < this.checks.minSteps)
      return rejected(
        RETCODE.INVALID_VOLUME,
        `the remaining ${this.checks.volumeOf(rest)} would be below the min lot ${this.inst.minLot}`,
      );
    if (!this.hasQuote()) return rejected(RETCODE.INVALID_PRICE, 'no quote yet');
    if (this.frozen(p)) return rejected(RETCODE.FROZEN, 'position is within the freeze level of its SL/TP');
    const price = this.exitPrice(p);
    this.deal(p, this.qTime, this.checks.volumeOf(lots), price, 'partial', requestId);
    p.lots = rest;
    if (rest === 0) this.remove(p);
    return this.applied(price, p.id);
  }

  private doClose(requestId: string, positionId: string, exempt: boolean): BrokerAnswer {
    const p = this.byId.get(positionId);
    if (!p) return rejected(RETCODE.POSITION_CLOSED, `position ${positionId} is not open`);
    if (!this.hasQuote()) return rejected(RETCODE.INVALID_PRICE, 'no quote yet');
    if (!exempt && this.frozen(p)) return rejected(RETCODE.FROZEN, 'position is within the freeze level of its SL/TP');
    const price = this.exitPrice(p);
    this.deal(p, this.qTime, this.checks.volumeOf(p.lots), price, 'close', requestId);
    p.lots = 0;
    this.remove(p);
    return this.applied(price, p.id);
  }

  /** Records a deal against `p` (at its current entry) and adds its profit to the position's total. */
  private deal(
    p: PaperPosition,
    time: number,
    volume: number,
    price: number,
    reason: PaperDealReason,
    requestId: string,
    profit?: number,
  ): void {
    const pnl = profit ?? (p.side === 'buy' ? 1 : -1) * (price - p.entry) * volume * this.inst.contractSize;
    const d: PaperDeal = { positionId: p.id, time, side: p.side, volume, price, reason, profit: pnl, requestId };
    this.deals.push(d);
    this.onDeal?.(d);
    this.realized.set(p.id, (this.realized.get(p.id) ?? 0) + pnl);
  }

  /** Why a stop is invalid for a position of `side` at the current quote, or null when it is fine. */
  private stopError(side: Side, kind: 'sl' | 'tp', level: number | null): string | null {
    return this.checks.stopError(side, kind, level, this.qBid, this.qAsk);
  }

  private frozen(p: PaperPosition): boolean {
    return this.checks.isFrozen(p, this.exitPrice(p));
  }

  private remove(p: PaperPosition): void {
    this.byId.delete(p.id);
    const i = this.book.indexOf(p);
    if (i >= 0) this.book.splice(i, 1);
  }

  private applied(price: number, positionId: string): BrokerAnswer {
    return { outcome: 'applied', code: RETCODE.DONE, price, positionId };
  }

  private hasQuote(): boolean {
    return Number.isFinite(this.qBid) && Number.isFinite(this.qAsk);
  }

  private exitPrice(p: PaperPosition): number {
    return p.side === 'buy' ? this.qBid : this.qAsk;
  }

  private toPosition(p: PaperPosition): Position {
    return {
      id: p.id,
      symbol: this.inst.symbol,
      side: p.side,
      volume: this.checks.volumeOf(p.lots),
      entryPrice: p.entry,
      sl: p.sl,
      tp: p.tp,
      openTime: p.openTime,
      comment: p.comment,
    };
  }
}

function rejected(code: number, reason: string): BrokerAnswer {
  return { outcome: 'rejected', retryable: false, code, reason };
}

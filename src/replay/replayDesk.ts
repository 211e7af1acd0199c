// Replay's desk at the paper broker for everything but the engine's intents: the entries (at the
// bar's open), the stops and targets a bar fills (a DTMS hedge's fill is booked to the trade it
// hedges), and the closes replay forces (end of data, data boundary, balance gone). Each is booked in
// the trade book and written to decisions.jsonl as it happens.
import type { PaperBroker, PaperFill } from '../brokers/paperBroker.ts';
import { ceilToStep, floorToStep, roundStop } from '../domain/rounding.ts';
import type { Bar, Instrument } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import { BREAKEVEN_DONE, PARTIAL_SKIPPED } from '../exits/exitPlan.ts';
import { rounded, type DecisionKind, type DecisionLineBuilder, type DecisionResult } from './decisionLog.ts';
import type { ReplayEntry } from './entries.ts';
import type { ReplayTallies } from './replayTallies.ts';
import type { ExitReason } from './reportModel.ts';
import type { TradeBook, TradeState } from './tradeBook.ts';

/** Exit reasons that are a stop filling (the consecutive-stops rail counts those closed at a loss). */
const STOP_EXITS = new Set<ExitReason>(['initial_stop', 'breakeven_stop', 'trailing_stop', 'dtms_stop']);

export class ReplayDesk {
  /** Entries not taken: refused by the broker, inside a data hole, or netting into an open position. */
  entriesRejected = 0;
  private readonly digits: number;

  constructor(
    private readonly broker: PaperBroker,
    private readonly book: TradeBook,
    private readonly engine: ExitEngine,
    private readonly lines: DecisionLineBuilder,
    private readonly tallies: ReplayTallies,
    private readonly inst: Instrument,
    /** The bar being played (the replay writes each bar into this object). */
    private readonly bar: Readonly<Bar>,
    /** A netting account holds one position per symbol. */
    private readonly netting: boolean,
  ) {
    this.digits = inst.digits;
  }

  /** Starts a line about trade `t`; set what it says, then `lines.emit()`. */
  line(t: TradeState, time: number, kind: DecisionKind, result: DecisionResult) {
    const l = this.lines.begin(time, t.id, t.side, kind, result);
    l.openVolume = rounded(t.openVolume, 8);
    return l;
  }

  /** The trade's own position is closed: the book, the engine, and the tally. */
  closed(t: TradeState, idx: number, time: number, reason: ExitReason): void {
    this.book.finish(t, idx, time, reason, STOP_EXITS.has(reason));
    const plan = this.engine.untrack(t.id);
    if (plan) {
      t.breakeven = plan.breakevenState === BREAKEVEN_DONE;
      t.partialSkipped = plan.partialState === PARTIAL_SKIPPED;
      t.tradeType = plan.tradeType;
    }
    this.tallies.count('close', reason);
  }

  /** An entry not taken, and why (at the bar's open). */
  refuseEntry(e: ReplayEntry, why: string, sl: number | null = e.sl, price = NaN, code = 0): void {
    this.entriesRejected++;
    this.tallies.count('entries', 'rejected');
    const l = this.lines.begin(this.bar.time, '', e.side, 'open', 'rejected');
    l.newSl = rounded(sl, this.digits);
    l.volume = rounded(e.volume, 8);
    l.price = rounded(price, this.digits);
    l.reason = `entry ${e.source} ${why}`;
    l.code = code;
    this.lines.emit();
  }

  /** An entry at the bar's open (the broker's quote): its stop and target from the fill when given as distances. */
  openEntry(e: ReplayEntry, idx: number): void {
    const inst = this.inst;
    const bar = this.bar;
    const buy = e.side === 'buy';
    const q = this.broker.quote();
    const fill = buy ? q.ask : q.bid;
    let sl = e.sl;
    let tp = e.tp;
    if (Number.isFinite(e.slDistance)) {
      sl = roundStop(e.side, buy ? fill - e.slDistance : fill + e.slDistance, inst.tickSize);
      // A target rounds toward the entry: never promise more than was decided.
      const rawTp = buy ? fill + e.tpDistance : fill - e.tpDistance;
      tp = buy ? floorToStep(rawTp, inst.tickSize) : ceilToStep(rawTp, inst.tickSize);
    }
    // A netting account holds one position per symbol: an entry while it is open would be netted into
    // it (added, reduced or reversed), which is not a trade of its own. Such an entry is not taken, and says why.
    if (this.netting && this.book.open.size > 0) {
      this.refuseEntry(
        e,
        'not taken: a netting account already holds a position in the symbol, and the entry would net into it',
        sl,
        fill,
      );
      return;
    }
    const a = this.broker.open({
      requestId: `entry:${e.source}`,
      side: e.side,
      volume: e.volume,
      sl,
      tp,
      comment: e.comment,
      exempt: true,
    });
    if (a.outcome !== 'applied') {
      this.refuseEntry(e, `refused by the broker: ${a.reason}`, sl, fill, a.code);
      return;
    }
    const position = this.broker.position(a.positionId)!;
    const t = this.book.add(position, idx, bar.time, e.comment);
    t.highest = bar.high;
    t.lowest = bar.low;
    this.tallies.count('entries', 'opened');
    const plan = this.engine.track(position, bar.time);
    t.tradeType = plan.tradeType;
    const l = this.line(t, bar.time, 'open', 'applied');
    l.newSl = rounded(position.sl, this.digits);
    l.volume = rounded(position.volume, 8);
    l.price = rounded(position.entryPrice, this.digits);
    l.reason = `entry ${e.source}${e.comment ? ` (${e.comment})` : ''}`;
    l.code = a.code;
    l.detail = `${plan.tradeType} (${plan.tradeTypeReason}); breakeven at ${plan.breakevenPct}%, partial ${plan.partialClosePct}% at ${plan.partialPct}%`;
    this.lines.emit();
  }

  /** A DTMS hedge that left the book (its own stop or target, inside the bar): booked to its trade. */
  private hedgeFilled(f: PaperFill): void {
    const owner = this.book.recordHedgeClose(f.positionId, f.time, f.price);
    if (!owner) return;
    const reason = f.reason === 'tp' ? 'hedge take_profit' : 'hedge stop';
    if (owner.charted)
      owner.events.push({
        time: f.time,
        kind: 'dtms',
        price: f.price,
        label: `${reason}: #${f.positionId} closed at ${f.price}`,
      });
    const l = this.lines.begin(f.time, f.positionId, owner.side === 'buy' ? 'sell' : 'buy', 'close', 'applied');
    l.volume = rounded(f.volume, 8);
    l.openVolume = rounded(f.volume, 8);
    l.price = rounded(f.price, this.digits);
    l.reason = `${reason}${f.gap ? ', gap fill at the open' : ''} (hedge of #${owner.id})`;
    this.lines.emit();
    this.engine.untrack(f.positionId);
  }

  /** Closes every open position at the current quote (end of data, data boundary, balance gone): hedges first. */
  closeAll(idx: number, time: number, reason: ExitReason): void {
    const broker = this.broker;
    const book = this.book;
    const digits = this.digits;
    const label =
      reason === 'data_gap' ? 'data boundary ahead' : reason === 'balance_gone' ? 'balance gone' : 'end of data';
    for (const [hedgeId, owner] of [...book.hedgeOf]) {
      const volume = broker.position(hedgeId)?.volume ?? 0;
      const a = broker.close(`${reason}:${hedgeId}`, hedgeId, true);
      if (a.outcome !== 'applied')
        throw new Error(
          `replay: the paper broker refused the ${reason} close of hedge #${hedgeId}: ${'reason' in a ? a.reason : ''}`,
        );
      book.recordHedgeClose(hedgeId, time, a.price);
      if (owner.charted)
        owner.events.push({
          time,
          kind: 'dtms',
          price: a.price,
          label: `${label}: hedge #${hedgeId} closed at ${a.price}`,
        });
      const l = this.lines.begin(time, hedgeId, owner.side === 'buy' ? 'sell' : 'buy', 'close', 'applied');
      l.volume = rounded(volume, 8);
      l.openVolume = rounded(volume, 8);
      l.price = rounded(a.price, digits);
      l.reason = `${reason} (hedge of #${owner.id})`;
      l.code = a.code;
      this.lines.emit();
      this.engine.untrack(hedgeId);
    }
    for (const t of [...book.open.values()]) {
      const before = t.openVolume;
      const a = broker.close(`${reason}:${t.id}`, t.id, true);
      if (a.outcome !== 'applied')
        throw new Error(
          `replay: the paper broker refused the ${reason} close of #${t.id}: ${'reason' in a ? a.reason : ''}`,
        );
      book.recordClose(t, time, a.price, before);
      if (t.charted) t.events.push({ time, kind: 'exit', price: a.price, label: `${label}: closed at ${a.price}` });
      const l = this.line(t, time, 'close', 'applied');
      l.oldSl = rounded(t.sl, digits);
      l.volume = rounded(before, 8);
      l.price = rounded(a.price, digits);
      l.reason = reason;
      l.code = a.code;
      this.lines.emit();
      this.closed(t, idx, time, reason);
    }
  }

  /** The stops and targets bar `idx` touched: those trades close (a hedge's fill is booked to its trade). */
  fillBar(idx: number): void {
    const fills = this.broker.fillBar(this.bar);
    for (let k = 0; k < fills.length; k++) {
      const f = fills[k]!;
      const t = this.book.open.get(f.positionId);
      if (!t) {
        this.hedgeFilled(f);
        continue;
      }
      const before = t.openVolume;
      this.book.recordClose(t, f.time, f.price, f.volume);
      if (f.gap) t.gapFill = true;
      const reason: ExitReason =
        f.reason === 'tp'
          ? 'take_profit'
          : t.slSetBy === 'breakeven'
            ? 'breakeven_stop'
            : t.slSetBy === 'trail'
              ? 'trailing_stop'
              : t.slSetBy === 'dtms'
                ? 'dtms_stop'
                : 'initial_stop';
      if (t.charted)
        t.events.push({
          time: f.time,
          kind: 'exit',
          price: f.price,
          label: `${reason.replace('_', ' ')}${f.gap ? ' (gap: filled at the open)' : ''} at ${f.price}`,
        });
      const l = this.line(t, f.time, 'close', 'applied');
      l.oldSl = rounded(t.sl, this.digits);
      l.volume = rounded(f.volume, 8);
      l.openVolume = rounded(before, 8);
      l.price = rounded(f.price, this.digits);
      l.reason = f.gap ? `${reason}, gap fill at the open` : reason;
      this.lines.emit();
      this.closed(t, idx, f.time, reason);
    }
  }
}

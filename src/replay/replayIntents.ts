// The engine's intents in replay: sent once each through the same execution path as a live account's
// (journal, send, settle, reconcile) to the paper broker, which answers at once at the bar's close;
// each answer's effect on replay's view of its trade (stop, partial, close, DTMS hedge or re-add) is
// booked and written to decisions.jsonl. An "unknown" answer is reconciled from the broker's view of
// the positions at once.
import type { OrderGateway } from '../brokers/brokerPort.ts';
import type { PaperBroker } from '../brokers/paperBroker.ts';
import type { Bar, Intent } from '../domain/types.ts';
import type { ExitEngine } from '../engine/exitEngine.ts';
import { IntentExecutor, MemoryJournal, type ImmediateVenue, type SettledIntent } from '../execution/intentExecutor.ts';
import type { RetryPolicy } from '../execution/retryPolicy.ts';
import { rounded, type DecisionKind, type DecisionLineBuilder, type DecisionResult } from './decisionLog.ts';
import type { ReplayDesk } from './replayDesk.ts';
import type { ReplaySink } from './replaySink.ts';
import type { ReplayTallies } from './replayTallies.ts';
import type { TradeBook, TradeState } from './tradeBook.ts';

const KIND_OF_RULE: Record<string, DecisionKind> = {
  breakeven: 'breakeven',
  partial: 'partial',
  trail: 'trail',
  dtms: 'dtms',
};
/**
 * Replay sends each intent once: a refused one (requote included) is decided afresh at the next bar,
 * on that bar's prices, as a bar is the finest time replay has. No wait is ever taken.
 */
const SEND_ONCE: RetryPolicy = { maxSends: 1, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 };

/**
 * The paper broker as the order gateway every venue implements, and as a venue that answers at once:
 * replay's intents take the same execution path as a live account's (journal, send, settle,
 * reconcile), without a promise per request.
 */
function paperGateway(broker: PaperBroker): OrderGateway & ImmediateVenue {
  return {
    name: 'paper',
    positions: () => Promise.resolve(broker.positions()),
    send: (intent) => Promise.resolve(broker.apply(intent)),
    sendNow: (intent) => broker.apply(intent),
    positionsNow: () => broker.positions(),
  };
}

export class ReplayIntents {
  private readonly venue: OrderGateway & ImmediateVenue;
  private readonly executor: IntentExecutor;
  private readonly digits: number;

  constructor(
    private readonly broker: PaperBroker,
    private readonly book: TradeBook,
    private readonly engine: ExitEngine,
    private readonly desk: ReplayDesk,
    private readonly lines: DecisionLineBuilder,
    private readonly tallies: ReplayTallies,
    private readonly sink: ReplaySink,
    /** The bar being played (the replay writes each bar into this object). */
    private readonly bar: Readonly<Bar>,
    digits: number,
  ) {
    this.digits = digits;
    this.venue = paperGateway(broker);
    this.executor = new IntentExecutor(this.venue, new MemoryJournal({ forgetSettled: true }), {
      retry: SEND_ONCE,
      clock: () => broker.quote().time,
      sleep: () => Promise.resolve(),
    });
  }

  /** A step's intents through the executor, one at a time in the engine's order, each written as it settles. */
  execute(intents: readonly Intent[], now: number, idx: number): void {
    // Only intents about a trade replay holds are sent (the same ones replay always sent).
    const sendable: Intent[] = [];
    const trades: TradeState[] = [];
    for (const it of intents) {
      const t = this.tradeOf(it);
      if (!t) continue;
      sendable.push(it);
      trades.push(t);
    }
    if (sendable.length === 0) return;
    // Each trade's open volume as it was when its intent was decided (its line shows it).
    const before = trades.map((t) => t.openVolume);
    let k = 0;
    this.executor.executeStepNow(sendable, this.engine, this.venue, (s) => {
      const j = k++;
      this.written(s, trades[j]!, before[j]!, now, idx);
    });
  }

  /** The trade an intent is about (an orphaned hedge's close names its closed position: found through the hedge). */
  private tradeOf(it: Intent): TradeState | undefined {
    return this.book.open.get(it.positionId) ?? this.book.hedgeOf.get(it.targetId);
  }

  /** The price of the broker's last deal for a position (an "unknown" answer that took effect), else `fallback`. */
  private lastDealPrice(positionId: string, fallback: number): number {
    const deals = this.broker.deals;
    for (let k = deals.length - 1; k >= 0 && k >= deals.length - 8; k--)
      if (deals[k]!.positionId === positionId) return deals[k]!.price;
    return fallback;
  }

  /** The line about an intent and the broker's answer (written after the answer is applied). */
  private intentLine(
    it: Intent,
    positionId: string,
    side: string,
    kind: DecisionKind,
    result: DecisionResult,
    before: number | null,
    reason: string,
    code: number,
    detail: string,
    time: number,
  ): void {
    const digits = this.digits;
    const l = this.lines.begin(time, positionId, side, kind, result);
    l.intentId = it.id;
    l.oldSl = rounded(it.oldSl, digits);
    if (it.kind === 'move_stop' || it.kind === 'open') l.newSl = rounded(it.newSl, digits);
    if (it.kind !== 'move_stop') l.volume = rounded(it.volume, 8);
    l.openVolume = rounded(before, 8);
    l.price = rounded(it.price, digits);
    l.reason = reason;
    l.code = code;
    l.detail = detail;
    this.lines.emit();
  }

  private dtmsApplied(t: TradeState, it: Intent): void {
    if (it.rule !== 'dtms') return;
    t.dtmsActions++;
    this.tallies.count('dtms_actions', it.action);
  }

  /**
   * An intent the broker applied (the engine already knows): its effect on replay's view of the trade,
   * and its line. `price`: the fill, or the quote for a stop move; `openedId`: the ticket an open created.
   */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  private applied(
    t: TradeState,
    it: Intent,
    price: number,
    openedId: string,
    code: number,
    reason: string,
    detail: string,
    before: number,
    time: number,
    idx: number,
  ): void {
    const book = this.book;
    const chart = t.charted;
    switch (it.kind) {
      case 'move_stop': {
        t.sl = it.newSl;
        t.slSetBy = it.rule === 'breakeven' ? 'breakeven' : it.rule === 'dtms' ? 'dtms' : 'trail';
        if (it.rule === 'breakeven') {
          t.breakeven = true;
          if (Number.isNaN(t.breakevenTime)) t.breakevenTime = time;
        } else if (it.rule === 'trail') {
          if (t.trailMoves === 0) t.firstTrailTime = time;
          t.trailMoves++;
        } else if (it.rule === 'dtms' && Number.isNaN(t.dtmsStopTime)) t.dtmsStopTime = time;
        this.dtmsApplied(t, it);
        if (chart) t.stopPath.push([time, it.newSl]);
        if (chart)
          t.events.push({
            time,
            kind: it.rule === 'breakeven' ? 'breakeven' : it.rule === 'dtms' ? 'dtms' : 'trail',
            price: it.newSl,
            label: `${it.rule === 'dtms' ? it.action : it.rule}: SL ${it.oldSl ?? 'none'} -> ${it.newSl}`,
          });
        this.intentLine(it, t.id, t.side, KIND_OF_RULE[it.rule]!, 'applied', before, reason, code, detail, time);
        break;
      }
      case 'close_partial': {
        book.recordClose(t, time, price, it.volume);
        if (it.rule === 'partial') t.partial = true;
        this.dtmsApplied(t, it);
        const position = this.broker.position(t.id);
        t.openVolume = position ? position.volume : 0;
        if (chart)
          t.events.push({
            time,
            kind: it.rule === 'dtms' ? 'dtms' : 'partial',
            price,
            label: `${it.rule === 'dtms' ? it.action : 'partial'}: closed ${it.volume} at ${price}`,
          });
        this.intentLine(it, t.id, t.side, KIND_OF_RULE[it.rule]!, 'applied', before, reason, code, detail, time);
        break;
      }
      case 'close': {
        this.dtmsApplied(t, it);
        if (it.targetId === t.id) {
          // DTMS closed the position itself (netting account instead of a hedge, or CLOSED).
          book.recordClose(t, time, price, before);
          if (chart) t.events.push({ time, kind: 'exit', price, label: `${it.action}: closed at ${price}` });
          this.intentLine(it, t.id, t.side, 'close', 'applied', before, reason, code, detail, time);
          this.desk.closed(t, idx, time, 'dtms_close');
        } else {
          book.recordHedgeClose(it.targetId, time, price);
          if (chart)
            t.events.push({
              time,
              kind: 'dtms',
              price,
              label: `${it.action}: hedge #${it.targetId} closed at ${price}`,
            });
          this.intentLine(it, it.targetId, it.side, 'close', 'applied', it.volume, reason, code, detail, time);
        }
        break;
      }
      case 'open': {
        this.dtmsApplied(t, it);
        const position = this.broker.position(openedId);
        if (it.action === 'open_hedge') {
          book.hedgeOpened(openedId, t);
          if (chart)
            t.events.push({
              time,
              kind: 'dtms',
              price,
              label: `open_hedge: ${it.side} ${it.volume} (#${openedId}) at ${price}`,
            });
          this.intentLine(it, openedId, it.side, 'open', 'applied', null, reason, code, detail, time);
        } else if (position) {
          // A re-add is a trade of its own, managed (and defended) like every other.
          const reAdd = book.add(position, idx, time, it.comment);
          // Opened at bar idx's close: its excursions count that bar, as the trades opened at its open do.
          reAdd.highest = this.bar.high;
          reAdd.lowest = this.bar.low;
          reAdd.reAddOf = t.id;
          this.tallies.count('entries', 're_add');
          if (chart)
            t.events.push({
              time,
              kind: 'dtms',
              price,
              label: `re_add: ${it.side} ${it.volume} (#${openedId}) at ${price}`,
            });
          this.intentLine(it, openedId, it.side, 'open', 'applied', null, reason, code, detail, time);
          const plan = this.engine.track(position, time);
          reAdd.tradeType = plan.tradeType;
        }
        break;
      }
    }
    if (it.kind === 'move_stop' || it.kind === 'close_partial') {
      const position = this.broker.position(t.id);
      if (position) this.engine.track(position, time);
    }
  }

  /** The line's position for a refused or unsettled intent: the hedge for a hedge close, '' for an open. */
  private subjectOf(t: TradeState, it: Intent): [string, string, DecisionKind] {
    return it.kind === 'open'
      ? ['', it.side, 'open']
      : it.kind === 'close'
        ? it.targetId === t.id
          ? [t.id, t.side, 'close']
          : [it.targetId, it.side, 'close']
        : [t.id, t.side, KIND_OF_RULE[it.rule]!];
  }

  /**
   * What replay writes and books for an intent the executor settled (it told the engine already): the
   * answer's line, and for an unknown answer the line saying so, then reconciliation's verdict.
   */
  private written(s: SettledIntent, t: TradeState, before: number, now: number, idx: number): void {
    const it = s.intent;
    const detail = this.sink.explained.get(it.id) ?? it.reason;
    this.sink.explained.delete(it.id);
    this.tallies.count('intents', it.rule);
    const a = s.answer!;
    if (s.how === 'answer' && a.outcome === 'applied') {
      this.applied(t, it, a.price, a.positionId, a.code, it.reason, detail, before, now, idx);
      return;
    }
    const [subject, side, kind] = this.subjectOf(t, it);
    const onHedge = it.kind === 'close' && it.targetId !== t.id;
    if (s.how === 'answer') {
      this.tallies.count('rejected', it.rule);
      this.intentLine(it, subject, side, kind, 'rejected', onHedge ? it.volume : before, s.reason, a.code, detail, now);
      return;
    }
    this.tallies.count('unknown', it.rule);
    this.intentLine(
      it,
      subject,
      side,
      kind,
      'unknown',
      onHedge ? it.volume : before,
      a.outcome === 'unknown' ? a.reason : s.reason,
      a.code,
      detail,
      now,
    );
    if (s.settled === 'applied') {
      // The fill price is the broker's: its last deal for the position (a stop move has none: the quote).
      const dealOf = it.kind === 'open' ? s.openedId : it.kind === 'move_stop' ? '' : it.targetId || t.id;
      const price = dealOf === '' ? it.price : this.lastDealPrice(dealOf, it.price);
      this.applied(
        t,
        it,
        price,
        s.openedId,
        a.code,
        'reconciled: the broker shows the change took effect',
        detail,
        before,
        now,
        idx,
      );
    } else {
      this.tallies.count('rejected', it.rule);
      this.intentLine(
        it,
        subject,
        side,
        kind,
        'rejected',
        onHedge ? it.volume : before,
        'reconciled: the broker shows no change; the decision will be taken afresh',
        a.code,
        detail,
        now,
      );
    }
  }
}

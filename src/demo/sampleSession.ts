// The demo session (`warden demo`): the exit engine on the seeded sample market, with demo positions
// opened every few hours and the paper broker (hedging account, no faults) answering every intent,
// DTMS's included. Every decision it prints comes from the same engine that runs live (`npm start`
// runs the service, `warden serve`, not this). Per bar, as in replay: the broker fills the SLs/TPs the
// bar touched, the engine evaluates every position at the bar's close and each intent goes to the
// broker at that close (its answer back to the engine), then a demo position may open at the close.
// DTMS hedges are broker positions of their own, booked to the trade they hedge (their profit counts
// in its profit); a DTMS re-add is a trade of its own. Deterministic: same options, same lines.
import type { WardenConfig } from '../config/schema.ts';
import { PaperBroker, type PaperFill } from '../brokers/paperBroker.ts';
import type { BrokerAnswer } from '../brokers/brokerAnswer.ts';
import type { OrderGateway } from '../brokers/brokerPort.ts';
import { IntentExecutor, MemoryJournal, type ImmediateVenue, type SettledIntent } from '../execution/intentExecutor.ts';
import type { RetryPolicy } from '../execution/retryPolicy.ts';
import { instrumentFromConfig } from '../domain/instruments.ts';
import { closesHedge } from '../domain/lifetime.ts';
import { ceilToStep, floorToStep, roundStop } from '../domain/rounding.ts';
import type { Intent, Position, Side } from '../domain/types.ts';
import { ExitEngine } from '../engine/exitEngine.ts';
import { DecisionJournal, explainDecision, type DecisionRecord, type DecisionSink } from '../exits/decisionRecord.ts';
import { BREAKEVEN_DONE, type ExitPlan } from '../exits/exitPlan.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../market/sampleMarket.ts';

export interface SampleSessionOptions {
  symbol: string;
  seed: number;
  bars: number;
  /** Open a demo position every this many bars after warm-up. */
  every: number;
}

/** A demo trade that closed: its own position's profit plus its DTMS hedges'. */
export interface ClosedTrade {
  /** The position as it opened. */
  position: Position;
  initialVolume: number;
  exitTime: number;
  exitPrice: number;
  /** Its stop or target filled, or DTMS closed it. */
  reason: 'sl' | 'tp' | 'dtms';
  /**
   * Profit in price units x lots x contract size (quote currency): partial closes and the trade's DTMS
   * hedges included. A hedge that closes after its trade (an orphan) still adds to it.
   */
  profit: number;
  /** The part of `profit` that came from the trade's DTMS hedges. */
  hedgeProfit: number;
  /** Set for a DTMS re-add: the trade it re-adds to. */
  reAddOf: string;
}

/** What DTMS did in the session. */
export interface SampleDtmsSummary {
  enabled: boolean;
  /** State transitions by 'FROM->TO'. */
  transitions: Record<string, number>;
  /** DTMS intents sent, by action. */
  intents: Record<string, number>;
  applied: number;
  rejected: number;
  hedgesOpened: number;
  /** Hedges still open at the end. */
  hedgesOpen: number;
  /** Realized profit of the closed hedges (quote currency), included in their trades' profit. */
  hedgeProfit: number;
  reAdds: number;
}

export interface SampleSessionResult {
  lines: string[];
  trades: ClosedTrade[];
  plans: ExitPlan[];
  intents: Intent[];
  journal: DecisionJournal;
  dtms: SampleDtmsSummary;
  summary: string[];
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
/** The demo sends each intent once: a refused one is decided afresh at the next bar (as replay does). */
const SEND_ONCE: RetryPolicy = { maxSends: 1, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 };
const BAR_MS = 60_000;

/** The journal, plus a tally of DTMS's state transitions (which the journal may drop when full). */
class DemoSink implements DecisionSink {
  readonly keepsUnchanged = false;
  readonly transitions = new Map<string, number>();
  constructor(readonly journal: DecisionJournal) {}

  record(r: DecisionRecord): void {
    if (r.rule === 'dtms' && r.reason === 'dtms_transition') {
      const k = `${r.dtmsFrom}->${r.dtmsState}`;
      this.transitions.set(k, (this.transitions.get(k) ?? 0) + 1);
    }
    this.journal.record(r);
  }
}

/** One demo trade (a demo position or a DTMS re-add), open or closed. */
interface TradeBook {
  position: Position;
  reAddOf: string;
  /** Profit of its closed DTMS hedges so far. */
  hedgeProfit: number;
  closed: ClosedTrade | null;
}

const tally = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};
const listed = (m: Map<string, number>): string =>
  m.size === 0 ? 'none' : [...m].map(([k, v]) => `${k} ${v}`).join(', ');
const sortedRecord = (m: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

// biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
export async function runSampleSession(config: WardenConfig, o: SampleSessionOptions): Promise<SampleSessionResult> {
  const instrument = instrumentFromConfig(config, o.symbol, true);
  const shape = SAMPLE_SHAPES[instrument.canonical];
  if (!shape)
    throw new Error(
      `no sample market for ${instrument.canonical}: use one of ${Object.keys(SAMPLE_SHAPES).join(', ')}`,
    );
  const { bars } = generateSampleMarket({ seed: o.seed, bars: o.bars, ...shape });
  const journal = new DecisionJournal();
  const sink = new DemoSink(journal);
  const engine = new ExitEngine(config, { baseTimeframe: 'M1', sink });
  engine.addInstrument(instrument);
  // Tickets from 1001: the demo positions are #1001, #1002, ... and DTMS's hedges and re-adds take the next ones.
  const broker = new PaperBroker(instrument, { accountMode: 'hedging', timeframeMs: BAR_MS, firstTicket: 1001 });
  const lines: string[] = [];
  const intents: Intent[] = [];
  const plans: ExitPlan[] = [];
  const trades: ClosedTrade[] = [];
  const books = new Map<string, TradeBook>();
  /** Open DTMS hedges: ticket -> the trade they hedge. */
  const hedgeOwner = new Map<string, TradeBook>();
  const dtmsIntents = new Map<string, number>();
  let dtmsApplied = 0;
  let dtmsRejected = 0;
  let rejected = 0;
  let hedgesOpened = 0;
  let hedgeProfit = 0;
  let reAdds = 0;
  let open = 0;
  const warmup = Math.min(1500, Math.floor(o.bars / 3));
  const out: Intent[] = [];
  let n = 0;

  const newBook = (p: Position, reAddOf: string): TradeBook => {
    const b: TradeBook = { position: p, reAddOf, hedgeProfit: 0, closed: null };
    books.set(p.id, b);
    open++;
    return b;
  };

  /** The trade's own position left the book: its profit is the broker's realized for it plus its hedges'. */
  const closeTrade = (b: TradeBook, time: number, price: number, reason: ClosedTrade['reason']): ClosedTrade => {
    engine.untrack(b.position.id);
    const t: ClosedTrade = {
      position: b.position,
      initialVolume: b.position.volume,
      exitTime: time,
      exitPrice: price,
      reason,
      profit: broker.realizedProfit(b.position.id) + b.hedgeProfit,
      hedgeProfit: b.hedgeProfit,
      reAddOf: b.reAddOf,
    };
    b.closed = t;
    trades.push(t);
    open--;
    return t;
  };
  const profitText = (t: ClosedTrade) =>
    `profit ${t.profit.toFixed(2)}${t.hedgeProfit !== 0 ? `, hedges ${t.hedgeProfit.toFixed(2)} included` : ''}`;

  /** A DTMS hedge left the book: its realized profit is its trade's (even when the trade already closed). */
  const bookHedge = (hedgeId: string): { owner: TradeBook; profit: number } | undefined => {
    const owner = hedgeOwner.get(hedgeId);
    if (!owner) return undefined;
    hedgeOwner.delete(hedgeId);
    const profit = broker.realizedProfit(hedgeId);
    owner.hedgeProfit += profit;
    hedgeProfit += profit;
    if (owner.closed) {
      owner.closed.profit += profit;
      owner.closed.hedgeProfit += profit;
    }
    return { owner, profit };
  };

  const hedgeProfitText = (owner: TradeBook, profit: number) =>
    `profit ${profit.toFixed(2)}, booked to #${owner.position.id}${owner.closed ? `, whose profit is now ${owner.closed.profit.toFixed(2)}` : ''}`;

  const onFill = (f: PaperFill): void => {
    const reason = f.reason.toUpperCase();
    const gap = f.gap ? ' (gap: filled at the open)' : '';
    const b = books.get(f.positionId);
    if (b && !b.closed) {
      const t = closeTrade(b, f.time, f.price, f.reason);
      lines.push(`${iso(f.time)}  #${f.positionId} closed at ${reason} ${f.price}${gap} (${profitText(t)})`);
      return;
    }
    const h = bookHedge(f.positionId);
    // The engine forgets the hedge (its position's defence, or the orphan it was to close).
    engine.untrack(f.positionId);
    if (h)
      lines.push(
        `${iso(f.time)}  #${f.positionId} hedge of #${h.owner.position.id} closed at ${reason} ${f.price}${gap} (${hedgeProfitText(h.owner, h.profit)})`,
      );
  };

  /** What an intent asks for, readably (DTMS's by action); `a` adds what the broker did. */
  const describe = (it: Intent, a: BrokerAnswer): string => {
    const done = a.outcome === 'applied' ? a : null;
    if (it.rule !== 'dtms')
      return it.kind === 'move_stop' ? `SL ${it.oldSl ?? 'none'} -> ${it.newSl}` : `close ${it.volume} lots`;
    const at = done ? ` at ${done.price}` : '';
    switch (it.kind) {
      case 'move_stop':
        return `${it.action}: SL ${it.oldSl ?? 'none'} -> ${it.newSl}`;
      case 'close_partial':
        return `${it.action}: close ${it.volume} lots${at}`;
      case 'close':
        return !closesHedge(it) ? `${it.action}: close ${it.volume} lots${at}` : `${it.action} #${it.targetId}${at}`;
      case 'open':
        return `${it.action}: ${it.side} ${it.volume}${done ? ` (#${done.positionId}) at ${done.price}` : ''}${Number.isFinite(it.newSl) ? `, SL ${it.newSl}` : ''}`;
    }
  };

  /** The intent's own reason, without the action name the line already shows. */
  const reasonOf = (it: Intent): string => {
    if (it.rule !== 'dtms' || it.action === '' || !it.reason.startsWith(it.action)) return it.reason;
    return it.reason.slice(it.action.length).replace(/^:?\s*/, '');
  };

  // The paper broker behind the order gateway every venue implements: the demo's intents take the
  // same execution path as a live account's (journal, send, settle with the engine).
  const gateway: OrderGateway & ImmediateVenue = {
    name: 'paper',
    positions: () => Promise.resolve(broker.positions()),
    send: (it) => Promise.resolve(broker.apply(it)),
    sendNow: (it) => broker.apply(it),
    positionsNow: () => broker.positions(),
  };
  const executor = new IntentExecutor(gateway, new MemoryJournal({ forgetSettled: true }), {
    retry: SEND_ONCE,
    clock: () => broker.quote().time,
    sleep: () => Promise.resolve(),
  });

  /** What the demo prints for an intent the executor settled (it told the engine already), and what it closed. */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  const printed = (s: SettledIntent, now: number): void => {
    const it = s.intent;
    intents.push(it);
    const dtms = it.rule === 'dtms';
    if (dtms) tally(dtmsIntents, it.action);
    const a = s.answer;
    if (a === null || a.outcome === 'unknown')
      throw new Error(`demo: the paper broker answered "unknown" without faults (${s.reason})`);
    const follow: string[] = [];
    if (a.outcome === 'rejected') {
      rejected++;
      if (dtms) dtmsRejected++;
    } else {
      if (dtms) dtmsApplied++;
      const target = it.targetId || it.positionId;
      if (it.kind === 'move_stop' || it.kind === 'close_partial') {
        // The engine manages the broker's fresh view of the position.
        const p = broker.position(it.positionId);
        if (p) engine.track(p, now);
      } else if (it.kind === 'close' && target === it.positionId) {
        const b = books.get(it.positionId);
        if (b && !b.closed) {
          const t = closeTrade(b, now, a.price, 'dtms');
          follow.push(`${iso(now)}  #${it.positionId} closed by DTMS ${it.action} at ${a.price} (${profitText(t)})`);
        }
      } else if (it.kind === 'close') {
        const h = bookHedge(target);
        if (h)
          follow.push(
            `${iso(now)}  #${target} hedge of #${h.owner.position.id} closed at ${a.price} (${hedgeProfitText(h.owner, h.profit)})`,
          );
      } else if (it.kind === 'open') {
        const parent = engine.hedgedPosition(a.positionId);
        const p = broker.position(a.positionId);
        if (parent !== undefined) {
          const owner = books.get(parent);
          if (owner) hedgeOwner.set(a.positionId, owner);
          hedgesOpened++;
        } else if (p) {
          // A re-add is a trade of its own, managed (and defended) like every other.
          reAdds++;
          newBook(p, it.positionId);
          const plan = engine.track(p, now);
          plans.push(plan);
          follow.push(
            `${iso(now)}  #${p.id} opened ${p.side} ${p.volume} ${o.symbol} at ${p.entryPrice}, SL ${p.sl ?? 'none'}, TP ${p.tp ?? 'none'} (DTMS re-add to #${it.positionId}): ${plan.tradeType} (${plan.tradeTypeReason}), breakeven ${plan.breakevenPct}%, partial ${plan.partialPct}%`,
          );
        }
      }
    }
    lines.push(
      `${iso(it.time)}  #${it.positionId} ${it.rule.padEnd(9)} ${describe(it, a)}  [${a.outcome}${a.outcome === 'rejected' ? `: ${a.reason}` : ''}] ${reasonOf(it)}`,
    );
    for (const l of follow) lines.push(l);
  };

  /** A bar's intents, one at a time in the engine's order, each printed as it settles. */
  const execute = (out: readonly Intent[], now: number): unknown =>
    executor.executeStepNow(out, engine, gateway, (s) => printed(s, now));

  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    const fills = broker.fillBar(bar);
    for (let k = 0; k < fills.length; k++) onFill(fills[k]!);
    out.length = 0;
    engine.onBar(o.symbol, bar, out);
    const now = bar.time + BAR_MS;
    broker.setQuote(now, bar.close, bar.spread);
    if (out.length > 0) execute(out, now);
    if (i >= warmup && (i - warmup) % o.every === 0 && i < bars.length - o.every) {
      const f = engine.features(o.symbol);
      const side: Side = n % 2 === 0 ? 'buy' : 'sell';
      const s = side === 'buy' ? 1 : -1;
      const q = broker.quote();
      const entry = side === 'buy' ? q.ask : q.bid;
      const atr = f.atr > 0 ? f.atr : entry * 0.002;
      const sl = roundStop(side, entry - s * 1.5 * atr, instrument.tickSize);
      // A target rounds toward the entry.
      const tp =
        side === 'buy'
          ? floorToStep(entry + 3 * atr, instrument.tickSize)
          : ceilToStep(entry - 3 * atr, instrument.tickSize);
      n++;
      const a = broker.open({
        requestId: `demo:${n}`,
        side,
        volume: 0.1,
        sl,
        tp,
        comment: n % 3 === 0 ? 'scalp' : '',
        exempt: true,
      });
      if (a.outcome !== 'applied') {
        lines.push(`${iso(now)}  demo ${side} 0.1 ${o.symbol} refused by the broker: ${a.reason}`);
        continue;
      }
      const p = broker.position(a.positionId)!;
      newBook(p, '');
      const plan = engine.track(p, now);
      plans.push(plan);
      lines.push(
        `${iso(p.openTime)}  #${p.id} opened ${side} ${p.volume} ${o.symbol} at ${p.entryPrice}, SL ${p.sl}, TP ${p.tp}: ${plan.tradeType} (${plan.tradeTypeReason}), breakeven ${plan.breakevenPct}%, partial ${plan.partialPct}%`,
      );
    }
  }

  const reachedBe = plans.filter((p) => p.breakevenState === BREAKEVEN_DONE).length;
  const trailed = plans.filter((p) => p.trailingActive).length;
  const net = trades.reduce((acc, t) => acc + t.profit, 0);
  const wins = trades.filter((t) => t.profit > 0).length;
  const byRule = (rule: string) => intents.filter((it) => it.rule === rule).length;
  const byReason = (reason: ClosedTrade['reason']) => trades.filter((t) => t.reason === reason).length;
  const dtms: SampleDtmsSummary = {
    enabled: config.dtms.enabled,
    transitions: sortedRecord(sink.transitions),
    intents: sortedRecord(dtmsIntents),
    applied: dtmsApplied,
    rejected: dtmsRejected,
    hedgesOpened,
    hedgesOpen: hedgeOwner.size,
    hedgeProfit,
    reAdds,
  };
  const transitionCount = [...sink.transitions.values()].reduce((acc, v) => acc + v, 0);
  const dtmsIntentCount = dtmsApplied + dtmsRejected;
  const summary = [
    `sample market: ${o.symbol}, ${bars.length} M1 bars from ${iso(bars[0]!.time)} (seed ${o.seed}), paper broker (hedging account)`,
    `positions: ${plans.length} opened${reAdds > 0 ? ` (${reAdds} DTMS re-add${reAdds === 1 ? '' : 's'})` : ''}, ${trades.length} closed (${byReason('tp')} at TP, ${byReason('sl')} at SL, ${byReason('dtms')} by DTMS), ${open} still open`,
    `intents: ${intents.length} (${byRule('breakeven')} breakeven, ${byRule('partial')} partial, ${byRule('trail')} trail, ${byRule('dtms')} dtms), ${rejected} rejected by the broker`,
    `breakeven reached by ${reachedBe} of ${plans.length}; trailing started on ${trailed} of those`,
    config.dtms.enabled
      ? `DTMS: ${transitionCount} transitions (${listed(sink.transitions)}); ${dtmsIntentCount} intents (${listed(dtmsIntents)}), ${dtmsApplied} applied, ${dtmsRejected} rejected; ${hedgesOpened} hedge${hedgesOpened === 1 ? '' : 's'} opened (${hedgeOwner.size} still open), hedge profit ${hedgeProfit.toFixed(2)}`
      : 'DTMS: off (dtms.enabled is false)',
    `closed trades: ${wins} won, net profit ${net.toFixed(2)} (account currency units, contract size ${instrument.contractSize}; DTMS hedges included)`,
    `decision journal: ${journal.size} records kept (every intent and every change of a rule's outcome)`,
  ];
  return { lines, trades, plans, intents, journal, dtms, summary };
}

/** The last few journal records of a position, explained. */
export function explainPosition(result: SampleSessionResult, positionId: string, limit = 12): string[] {
  return result.journal.forPosition(positionId).slice(-limit).map(explainDecision);
}

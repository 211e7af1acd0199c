// Closed trades: when the venue closes a managed position, a record of its whole life is kept (the store's
// closed_trades): how it opened and ended, what it realized (Warden's partial closes and DTMS hedges
// included), in R, and where each figure came from.
//
// In order, for each lifetime the session hands on (AccountSession's onLifetimeEnded, once the end is
// stored), off the engine's step (queued here and run one at a time in the background, so the step
// never waits on the venue):
//   1. Warden's side from the journal: its applied closes and hedges at the fills the venue answered
//      them with (realized.ts);
//   2. the venue's history of the position (BrokerPort.closedPosition), where the venue has one: its
//      deals, each with what made it (stop loss, take profit, stop-out, one of Warden's requests, a
//      request from elsewhere);
//   3. the record: the venue's deals where it gave them, Warden's own otherwise; what neither can say is
//      null with a note (a close nobody saw is exit `unknown`, never a guess), and saved;
//   4. tried again after a while (2 s, 10 s, 60 s by default) when the venue's history could not be
//      read, or a DTMS hedge the position left behind is still to be closed (the engine closes it
//      at the symbol's next step); each try saves what it found, the last try's record stands, and
//      the outcome (answered, no history, unsupported, failed) is in the record.
// At start, `recover` does the same for lifetimes that ended without a record (Warden stopped before it
// was made, or a store older than closed trades), the latest first.
import type { Logger } from 'pino';
import type { BrokerPort, ClosedPositionFacts, PositionDeal } from '../brokers/brokerPort.ts';
import type { Instrument, Position } from '../domain/types.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type {
  ClosedTrade,
  ClosedTradeDeal,
  ClosedTradeExit,
  ClosedTradeHedge,
  ClosedTradeSource,
  StoredIntent,
  StoredLifetime,
  WardenStore,
} from '../store/store.ts';
import { closedAtVenue, type EndedLifetime } from './positionLifetimes.ts';
import { closeProfit, hedgeProfit, wardenBook, type WardenBook } from './realized.ts';

export interface ClosedTradeRecorderOptions {
  store: WardenStore;
  /** The venue; its `closedPosition` (absent: the venue keeps no history Warden can read) is asked. */
  venue: Pick<BrokerPort, 'name' | 'closedPosition'>;
  instruments: readonly Instrument[];
  /** The session's clock (epoch ms): the record's stamp. */
  clock: () => number;
  /** Waits before a try again; default a real timer (close() cuts it short). */
  sleep?: (ms: number) => Promise<void>;
  /** The waits before the second, third... try (default 2 s, 10 s, 60 s: four tries in all). */
  retryMs?: readonly number[];
  log?: Logger;
}

/** What the session knew of the lifetime at its end (a recovered lifetime has none of it). */
interface Job {
  lifetime: StoredLifetime;
  plan: ExitPlan | undefined;
  position: Position | undefined;
  hedgeId: string | null;
  tries: number;
  last: ClosedTrade | null;
}

/** Lots within this of each other are the same volume (venues' volumes are lot-step decimals). */
const VOLUME_EPS = 1e-7;
/** The venue's deals are looked for up to this long after Warden saw the position gone (clocks differ). */
const AFTER_END_MS = 60_000;
const DEFAULT_RETRY_MS = [2_000, 10_000, 60_000] as const;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const iso = (t: number): string => (Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : 'unknown');

export class ClosedTradeRecorder {
  private readonly queue: Job[] = [];
  private running: Promise<void> | null = null;
  /** Jobs waiting to be tried again, with what ends their wait early. */
  private readonly waiting = new Map<Job, { done: Promise<void>; wake: () => void }>();
  private closed = false;
  private readonly contractSize: Map<string, number>;
  private readonly retryMs: readonly number[];

  constructor(private readonly o: ClosedTradeRecorderOptions) {
    this.contractSize = new Map(o.instruments.map((i) => [i.symbol, i.contractSize]));
    this.retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
  }

  /** A lifetime the venue closed (AccountSession's onLifetimeEnded): recorded in the background. Never throws. */
  ended(e: EndedLifetime): void {
    this.enqueue({
      lifetime: e.lifetime,
      plan: e.plan,
      position: e.position,
      hedgeId: e.hedgeId,
      tries: 0,
      last: null,
    });
  }

  /**
   * Lifetimes the venue closed that have no record yet (see the header), at most `limit`, the latest
   * first: queued like the others. Returns how many.
   */
  recover(limit = 200): number {
    let n = 0;
    for (const l of this.o.store.endedWithoutClosedTrade(limit)) {
      if (!closedAtVenue(l.endReason)) continue;
      this.enqueue({ lifetime: l, plan: undefined, position: undefined, hedgeId: null, tries: 0, last: null });
      n++;
    }
    return n;
  }

  /** Resolves once nothing is queued, under way or waiting to be tried again. */
  async idle(): Promise<void> {
    while (this.running !== null || this.waiting.size > 0) {
      await Promise.allSettled([this.running, ...[...this.waiting.values()].map((w) => w.done)]);
    }
  }

  /**
   * Stops: what is queued is dropped, a record waiting to be tried again stays as its last try left it
   * (marked failed: the venue was not asked again), and the try under way finishes.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const w of this.waiting.values()) w.wake();
    await this.idle();
  }

  private enqueue(job: Job): void {
    if (this.closed) return;
    this.queue.push(job);
    // Started on the next turn of the event loop: the step that handed the lifetime on goes first.
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.pump())
      .finally(() => {
        this.running = null;
        if (this.queue.length > 0 && !this.closed) this.enqueue(this.queue.shift()!);
      });
  }

  private async pump(): Promise<void> {
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) {
      if (this.closed) return;
      let again = false;
      try {
        again = await this.attempt(job);
      } catch (err) {
        // The store failed (an outage): the record is tried again like a venue that did not answer.
        this.o.log?.warn(
          { lifetime: job.lifetime.key, error: messageOf(err) },
          'closed trade: could not be recorded now',
        );
        again = true;
      }
      if (again) this.later(job);
    }
  }

  /** Queues the job again after its wait, or leaves its last record as it is when the tries are used up. */
  private later(job: Job): void {
    const wait = this.retryMs[job.tries - 1];
    if (wait === undefined || this.closed) return this.giveUp(job);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const slept = this.o.sleep ? this.o.sleep(wait) : new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
    const done = Promise.race([slept, woken]).then(() => {
      this.waiting.delete(job);
      if (this.closed) this.giveUp(job);
      else this.enqueue(job);
    });
    this.waiting.set(job, { done, wake });
  }

  /** The last try's record stands; one still marked pending says it was not tried again. */
  private giveUp(job: Job): void {
    const t = job.last;
    if (t === null || t.history.status !== 'pending') return;
    const error = t.history.error !== '' ? t.history.error : 'not tried again: Warden stopped';
    try {
      this.o.store.saveClosedTrade({ ...t, history: { ...t.history, status: 'failed', error } });
    } catch (err) {
      this.o.log?.warn({ lifetime: job.lifetime.key, error: messageOf(err) }, 'closed trade: could not be recorded');
    }
  }

  /** One try: read, ask, build, save. Returns whether to try again. */
  private async attempt(job: Job): Promise<boolean> {
    job.tries++;
    const { lifetime } = job;
    const store = this.o.store;
    const intents = store.intentsFor(lifetime.key);
    const book = wardenBook(intents, store.fillsOf(lifetime.key), lifetime.ticket);
    const venue = this.o.venue;
    let facts: ClosedPositionFacts | null = null;
    let status: ClosedTrade['history']['status'] = 'unsupported';
    let error = '';
    if (venue.closedPosition !== undefined) {
      try {
        facts = await venue.closedPosition({
          ticket: lifetime.ticket,
          symbol: lifetime.symbol,
          side: lifetime.side,
          since: lifetime.openTime > 0 ? lifetime.openTime : lifetime.startedAt,
          until: (lifetime.endedAt ?? this.o.clock()) + AFTER_END_MS,
          requestIds: intents
            .filter((s) => s.status === 'applied' && s.intent.kind !== 'move_stop')
            .map((s) => s.intent.id),
        });
        status = facts === null ? 'no_history' : 'answered';
      } catch (err) {
        status = 'failed';
        error = messageOf(err);
      }
    }
    const hedgeOpen = book.hedges.some((h) => h.close === null);
    const again = (status === 'failed' || hedgeOpen) && job.tries <= this.retryMs.length && !this.closed;
    const trade = this.build(job, intents, book, facts, {
      venue: venue.name,
      status: again ? 'pending' : status,
      attempts: job.tries,
      error,
    });
    store.saveClosedTrade(trade);
    job.last = trade;
    this.o.log?.info(
      {
        lifetime: lifetime.key,
        exit: trade.exitReason,
        realized: trade.realizedProfit,
        r: trade.r,
        history: status,
        tries: job.tries,
      },
      'closed trade recorded',
    );
    return again;
  }

  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: a long function from before the limit; split it when it is next changed
  private build(
    job: Job,
    intents: readonly StoredIntent[],
    book: WardenBook,
    facts: ClosedPositionFacts | null,
    history: ClosedTrade['history'],
  ): ClosedTrade {
    const { lifetime, plan } = job;
    const notes: string[] = [...(facts?.notes ?? [])];
    const side = lifetime.side;
    let contract = this.contractSize.get(lifetime.symbol);
    if (contract === undefined) {
      contract = 1;
      notes.push(
        `${lifetime.symbol} is not an instrument of this session: a contract size of 1 is assumed for the profits Warden counts`,
      );
    }
    const byIntent = new Map(intents.map((s) => [s.intent.id, s.intent]));
    const ins = facts?.deals.filter((d) => d.entry === 'in') ?? [];
    const outs = facts?.deals.filter((d) => d.entry === 'out') ?? [];

    let entry = lifetime.entryPrice;
    let entryFrom: ClosedTradeSource = 'lifetime';
    if (ins.length > 0) {
      entry = vwap(ins)!;
      entryFrom = 'venue';
    }

    // The closing deals: the venue's where it gave any, else Warden's own closes.
    let deals: ClosedTradeDeal[];
    let exitFrom: ClosedTradeSource;
    if (outs.length > 0) {
      exitFrom = 'venue';
      deals = outs.map((d) => this.venueDeal(d, byIntent, side, entry, contract!));
    } else {
      if (history.status === 'answered' || history.status === 'no_history')
        notes.push(
          `the venue's history holds no closing deal of ${lifetime.ticket}: Warden's own requests are all that is known of its close`,
        );
      deals = book.closes.map((c) => ({
        time: c.time,
        volume: c.volume,
        price: c.price,
        profit: round8(closeProfit(side, entry, c.price, c.volume, contract!)),
        by: c.rule === 'dtms' ? 'dtms' : 'warden',
        intentId: c.intentId,
        partial: c.partial,
        from: c.from,
      }));
      exitFrom = deals.length === 0 ? 'none' : deals.some((d) => d.from === 'decision') ? 'decision' : 'journal';
    }
    const decisionPrices = deals.filter((d) => d.from === 'decision').length;
    if (decisionPrices > 0)
      notes.push(
        `${decisionPrices} of Warden's closes were not answered with a fill price: the price their decision saw stands in`,
      );

    const closed = deals.reduce((a, d) => a + d.volume, 0);
    const closedByWarden = deals.filter((d) => d.by === 'warden' || d.by === 'dtms').reduce((a, d) => a + d.volume, 0);
    const openedCandidates = [plan?.initialVolume ?? 0, sum(ins.map((d) => d.volume)), closed].filter((v) => v > 0);
    const opened = openedCandidates.length > 0 ? Math.max(...openedCandidates) : null;
    const last = deals.at(-1);
    // A close is known when the last closing deal took what was left: a whole close, or deals summing
    // to all the position held.
    const allClosed = opened !== null && closed >= opened - VOLUME_EPS;
    const exitKnown = last !== undefined && (!last.partial || allClosed);
    let exitReason: ClosedTradeExit = 'unknown';
    if (exitKnown && last !== undefined) exitReason = exitOf(last, deals);
    else {
      const left = opened === null ? null : round8(opened - closed);
      notes.push(
        left === null
          ? 'how the position closed is not known: no closing deal was seen'
          : `${left} lots closed without a deal Warden or the venue can name: exit unknown`,
      );
    }
    // The volumes add up (or a whole close ended it and nothing says the deals are incomplete).
    const complete = exitKnown && (allClosed || opened === null);

    const hedges: ClosedTradeHedge[] = book.hedges.map((h) => ({
      ticket: h.ticket ?? (h.close === null ? job.hedgeId : null),
      side: h.side,
      volume: h.volume,
      openPrice: h.open.price,
      closePrice: h.close?.price ?? null,
      profit: hedgeProfit(h, contract!),
      from: h.open.from === 'decision' || h.close?.from === 'decision' ? 'decision' : 'journal',
    }));
    for (const h of hedges)
      if (h.profit === null)
        notes.push(
          `DTMS hedge ${h.ticket === null ? '' : `#${h.ticket} `}(${h.side} ${h.volume}) was still open when the position closed: its result is not counted yet`,
        );
    const hedgesProfit = hedges.some((h) => h.profit === null) ? null : sum(hedges.map((h) => h.profit!));
    const dealProfits = deals.every((d) => d.profit !== null) ? sum(deals.map((d) => d.profit!)) : null;
    const partials = deals.filter((d) => d.partial && (d.by === 'warden' || d.by === 'dtms'));
    const partialsProfit = partials.every((d) => d.profit !== null) ? sum(partials.map((d) => d.profit!)) : null;
    const realizedProfit =
      complete && dealProfits !== null && hedgesProfit !== null ? round8(dealProfits + hedgesProfit) : null;
    const venueDeals = [...ins, ...outs];
    const fees =
      venueDeals.length > 0 && venueDeals.every((d) => Number.isFinite(d.fees))
        ? round8(sum(venueDeals.map((d) => d.fees)))
        : null;

    // The initial stop: the plan's; without the plan (a recovered lifetime), the stop Warden's first stop
    // move was decided against (the position's stop until then).
    let initialSl: number | null = null;
    let slFrom: ClosedTradeSource = 'none';
    if (plan !== undefined && Number.isFinite(plan.initialSl)) {
      initialSl = plan.initialSl;
      slFrom = 'plan';
    } else {
      const first = intents.find(
        (s) => s.intent.kind === 'move_stop' && s.intent.oldSl !== null && s.intent.targetId === lifetime.ticket,
      );
      if (first?.intent.oldSl != null) {
        initialSl = first.intent.oldSl;
        slFrom = 'journal';
        notes.push(
          "the initial stop is the one Warden's first stop move was decided against (the exit plan was not at hand)",
        );
      }
    }
    const risk = initialSl === null ? null : Math.abs(lifetime.entryPrice - initialSl);
    const riskMoney = risk !== null && risk > 0 && opened !== null ? round8(risk * opened * contract) : null;
    if (riskMoney === null)
      notes.push(
        initialSl === null
          ? 'no initial stop is known: R cannot be given'
          : 'the initial risk is not known: R cannot be given',
      );
    const r = realizedProfit !== null && riskMoney !== null ? round8(realizedProfit / riskMoney) : null;

    const openTime = lifetime.openTime > 0 ? lifetime.openTime : (ins[0]?.time ?? lifetime.startedAt);
    const openFrom: ClosedTradeSource = lifetime.openTime > 0 || ins.length > 0 ? 'venue' : 'lifetime';
    if (openFrom === 'lifetime')
      notes.push(`the venue gives no open time: the trade opens when Warden first saw it (${iso(openTime)})`);
    const closeTime = exitKnown && last !== undefined ? last.time : (lifetime.endedAt ?? this.o.clock());
    const realizedFrom: ClosedTradeSource =
      realizedProfit === null
        ? 'none'
        : exitFrom === 'venue' && hedges.length === 0
          ? 'venue'
          : exitFrom === 'decision' || hedges.some((h) => h.from === 'decision')
            ? 'decision'
            : exitFrom === 'venue'
              ? 'venue'
              : 'journal';
    return {
      key: lifetime.key,
      ticket: lifetime.ticket,
      symbol: lifetime.symbol,
      side,
      openTime,
      closeTime,
      entryPrice: entry,
      volume: { opened, closed: deals.length > 0 ? round8(closed) : null, closedByWarden: round8(closedByWarden) },
      exitPrice: complete ? vwap(deals) : null,
      exitReason,
      realizedProfit,
      partialsProfit: partialsProfit === null ? null : round8(partialsProfit),
      hedgesProfit: hedgesProfit === null ? null : round8(hedgesProfit),
      fees,
      initialSl,
      riskMoney,
      r,
      deals,
      hedges,
      sources: {
        entry: entryFrom,
        exit: exitKnown ? exitFrom : 'none',
        realized: realizedFrom,
        openTime: openFrom,
        closeTime: exitKnown ? exitFrom : 'lifetime',
        initialSl: slFrom,
      },
      history,
      notes,
      recordedAt: this.o.clock(),
    };
  }

  /** A closing deal of the venue's, with the request that made it when it was one of Warden's. */
  private venueDeal(
    d: PositionDeal,
    byIntent: ReadonlyMap<string, StoredIntent['intent']>,
    side: ClosedTrade['side'],
    entry: number,
    contract: number,
  ): ClosedTradeDeal {
    const it = d.cause === 'request' ? byIntent.get(d.requestId) : undefined;
    const by: ClosedTradeDeal['by'] =
      it !== undefined ? (it.rule === 'dtms' ? 'dtms' : 'warden') : d.cause === 'request' ? 'unknown' : d.cause;
    const profit = Number.isFinite(d.profit)
      ? round8(d.profit)
      : Number.isFinite(d.price)
        ? round8(closeProfit(side, entry, d.price, d.volume, contract))
        : null;
    return {
      time: d.time,
      volume: d.volume,
      price: d.price,
      profit,
      by,
      intentId: it?.id ?? '',
      partial: it?.kind === 'close_partial',
      from: 'venue',
    };
  }
}

/** The exit reason from the last closing deal (see ClosedTradeExit). */
function exitOf(last: ClosedTradeDeal, deals: readonly ClosedTradeDeal[]): ClosedTradeExit {
  switch (last.by) {
    case 'sl':
    case 'tp':
    case 'stop_out':
    case 'outside':
    case 'unknown':
      return last.by;
    case 'dtms':
      return 'dtms_close';
    case 'warden':
      // Warden's partials took all of it: every closing deal was one of its partials.
      return last.partial && deals.every((d) => d.partial && (d.by === 'warden' || d.by === 'dtms'))
        ? 'warden_partials'
        : 'warden_close';
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
const round8 = (x: number): number => Number(x.toFixed(8));

/** The volume-weighted price of deals (null for none). */
function vwap(deals: readonly { volume: number; price: number }[]): number | null {
  const v = sum(deals.map((d) => d.volume));
  if (!(v > 0)) return null;
  return round8(sum(deals.map((d) => d.price * d.volume)) / v);
}

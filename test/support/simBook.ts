// A small simulated broker book for engine tests: the positions the engine manages (and the re-adds it
// opens) plus the DTMS hedges, stops and targets filled inside each bar, and every intent kind applied
// at the bar's close. Each intent is checked against the money-safety invariants before it is applied;
// a breach is collected in `violations` (and the intent refused, as a broker would, so the book stays
// sane). Deterministic: no clock, no randomness; tickets are derived from the parent position.
//
// Quotes: bars are bid prices; ask = bid + spread (the bar's spread when finite and > 0, else 0, as
// the engine reads it). A buy exits at the bid, a sell at the ask. Inside a bar the stop fills before
// the target when both are touched; a bar that opens beyond a level fills at its open.
//
// Typical loop:   book.fillBar(bar); out.length = 0; engine.onBar(symbol, bar, out); book.apply(out, bar);
// (or book.step(bar), which does the three and returns the bar's intents).
import { isStepMultiple, isTighterStop } from '../../src/domain/rounding.ts';
import type { Bar, Instrument, Intent, Position, Side } from '../../src/domain/types.ts';
import type { ExitEngine } from '../../src/engine/exitEngine.ts';

export interface ClosedTrade {
  id: string;
  side: Side;
  /** Volume that was open when it closed (the last piece). */
  volume: number;
  entry: number;
  exit: number;
  time: number;
  /** sl / tp: filled inside a bar; close: a close intent (DTMS close, hedge close, orphan close). */
  reason: 'sl' | 'tp' | 'close';
  /** For a DTMS hedge: the position it hedged; '' for a managed position. */
  hedgeOf: string;
}

export interface SimCounts {
  intents: number;
  /** Intents by rule ('breakeven', 'partial', 'trail', 'dtms'). */
  byRule: Record<string, number>;
  /** DTMS intents by action ('tighten_stop', 'open_hedge', ...). */
  byAction: Record<string, number>;
  /** Intents by kind ('move_stop', 'close_partial', 'close', 'open'). */
  byKind: Record<string, number>;
  hedgesOpened: number;
  reAdds: number;
  /** Intents refused because they broke an invariant (each also in `violations`). */
  refused: number;
  fills: { sl: number; tp: number };
}

export interface SimBookOptions {
  /** Base timeframe in ms: a bar closes at bar.time + barMs (the engine's clock). Default M1. */
  barMs?: number;
}

interface Held {
  pos: Position;
  /** For a hedge: the managed position it hedges; '' otherwise. */
  hedgeOf: string;
}

const EPS = 1e-9;

const vol = (x: number): number => Number(x.toFixed(8));

export class SimBook {
  readonly violations: string[] = [];
  /** Every intent applied or refused, in order. */
  readonly intents: Intent[] = [];
  readonly closed: ClosedTrade[] = [];
  readonly counts: SimCounts = {
    intents: 0,
    byRule: {},
    byAction: {},
    byKind: {},
    hedgesOpened: 0,
    reAdds: 0,
    refused: 0,
    fills: { sl: 0, tp: 0 },
  };

  /** Open positions (managed ones and hedges), in the order they opened. */
  private readonly held = new Map<string, Held>();
  /** Managed position -> its open hedge. */
  private readonly openHedge = new Map<string, string>();
  private readonly seen = new Set<string>();
  private readonly barMs: number;
  private readonly priceEps: number;
  private readonly stopGap: number;
  private tickets = 0;

  constructor(
    readonly engine: ExitEngine,
    readonly inst: Instrument,
    options: SimBookOptions = {},
  ) {
    this.barMs = options.barMs ?? 60_000;
    this.priceEps = inst.tickSize * 1e-3;
    this.stopGap = Math.max(inst.stopsLevelPoints * inst.point, inst.tickSize);
  }

  /**
   * The same book (open positions, hedges, ids seen, tickets) answering another engine: for a restart
   * test, where a restored engine must go on deciding exactly as the original one.
   */
  cloneFor(engine: ExitEngine): SimBook {
    const c = new SimBook(engine, this.inst, { barMs: this.barMs });
    for (const [id, h] of this.held) c.held.set(id, { pos: { ...h.pos }, hedgeOf: h.hedgeOf });
    for (const [k, v] of this.openHedge) c.openHedge.set(k, v);
    for (const id of this.seen) c.seen.add(id);
    c.tickets = this.tickets;
    return c;
  }

  /** Opens a managed position (as the trader would) and tracks it in the engine. */
  open(position: Position, now: number): void {
    if (position.symbol !== this.inst.symbol)
      throw new Error(`${position.id}: symbol ${position.symbol} is not this book's ${this.inst.symbol}`);
    this.held.set(position.id, { pos: position, hedgeOf: '' });
    this.engine.track(position, now);
  }

  /** Open positions: managed ones and hedges. */
  get positions(): Position[] {
    return [...this.held.values()].map((h) => h.pos);
  }

  /** A managed position's current state, or undefined when it is not open. */
  position(id: string): Position | undefined {
    const h = this.held.get(id);
    return h && h.hedgeOf === '' ? h.pos : undefined;
  }

  /** Open DTMS hedges: ticket -> the position it hedges. */
  get hedges(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [id, h] of this.held) if (h.hedgeOf !== '') m.set(id, h.hedgeOf);
    return m;
  }

  isOpen(id: string): boolean {
    return this.held.has(id);
  }

  /** Fills the stops and targets this bar touches (stop first), and untracks what filled from the engine. */
  fillBar(bar: Bar): void {
    const spread = spreadOf(bar);
    for (const [id, h] of [...this.held]) {
      const p = h.pos;
      const buy = p.side === 'buy';
      const shift = buy ? 0 : spread;
      const o = bar.open + shift;
      const lo = bar.low + shift;
      const hi = bar.high + shift;
      let reason: 'sl' | 'tp' | null = null;
      let price = NaN;
      if (p.sl !== null && (buy ? lo <= p.sl : hi >= p.sl)) {
        reason = 'sl';
        price = buy ? Math.min(o, p.sl) : Math.max(o, p.sl);
      } else if (p.tp !== null && (buy ? hi >= p.tp : lo <= p.tp)) {
        reason = 'tp';
        price = buy ? Math.max(o, p.tp) : Math.min(o, p.tp);
      }
      if (reason === null) continue;
      this.counts.fills[reason]++;
      this.remove(id, price, bar.time, reason);
      this.engine.untrack(id);
    }
  }

  /** fillBar, the engine's evaluation of the closed bar, then apply. Returns the bar's intents (a fresh array). */
  step(bar: Bar): Intent[] {
    this.fillBar(bar);
    const out: Intent[] = [];
    this.engine.onBar(this.inst.symbol, bar, out);
    this.apply(out, bar);
    return out;
  }

  /**
   * Applies the intents the engine emitted at this bar's close (bid = close, ask = close + spread):
   * checks each against the invariants, then applies it (or refuses it when it breaks one) and answers
   * the engine. Refreshed positions are re-tracked (a fresh object: the engine compares old and new
   * volume); a re-add is opened and tracked. Intents for other symbols are ignored.
   */
  apply(intents: readonly Intent[], bar: Bar): void {
    const bid = bar.close;
    const ask = bar.close + spreadOf(bar);
    const now = bar.time + this.barMs;
    const inFlight = new Set<string>();
    for (const it of intents) {
      if (it.symbol !== this.inst.symbol) continue;
      this.intents.push(it);
      const c = this.counts;
      c.intents++;
      c.byRule[it.rule] = (c.byRule[it.rule] ?? 0) + 1;
      c.byKind[it.kind] = (c.byKind[it.kind] ?? 0) + 1;
      if (it.rule === 'dtms') c.byAction[it.action] = (c.byAction[it.action] ?? 0) + 1;
      const bad: string[] = [];
      if (this.seen.has(it.id)) bad.push('sent twice');
      this.seen.add(it.id);
      if (inFlight.has(it.positionId)) bad.push(`a second intent for #${it.positionId} in the same evaluation`);
      inFlight.add(it.positionId);
      this.check(it, bid, ask, bad);
      if (bad.length > 0) {
        for (const b of bad)
          this.violations.push(`${it.id} (${it.rule}${it.action ? `/${it.action}` : ''} ${it.kind}): ${b}`);
        c.refused++;
        this.engine.resolve(it.positionId, it.id, 'rejected', '', bad[0]);
        continue;
      }
      this.execute(it, bid, ask, now);
    }
  }

  /** The invariants of one intent against the book as it is now; breaches are pushed to `bad`. */
  // biome-ignore lint/complexity/noExcessiveCognitiveComplexity: a long function from before the limit; split it when it is next changed
  private check(it: Intent, bid: number, ask: number, bad: string[]): void {
    const inst = this.inst;
    const orphan = it.action === 'close_orphan_hedge';
    const main = this.held.get(it.positionId);
    if (orphan) {
      if (it.kind !== 'close') bad.push('close_orphan_hedge is not a close');
      if (main && main.hedgeOf === '') bad.push(`orphan close while its position #${it.positionId} is open`);
      const h = this.held.get(it.targetId);
      if (!h) bad.push(`orphan hedge #${it.targetId} is not open`);
      else if (h.hedgeOf !== it.positionId) bad.push(`#${it.targetId} is not a hedge of #${it.positionId}`);
      else if (Math.abs(it.volume - h.pos.volume) > EPS)
        bad.push(`closes ${it.volume} of hedge #${it.targetId} with ${h.pos.volume} open`);
      return;
    }
    if (main?.hedgeOf !== '') {
      bad.push(`position #${it.positionId} is not open${main ? ' (it is a hedge)' : ''}`);
      return;
    }
    const p = main.pos;
    if (it.rule !== 'dtms' && it.action !== '') bad.push(`exit-plan intent with action ${it.action}`);
    if (it.rule === 'dtms' && it.action === '') bad.push('DTMS intent without action');
    switch (it.kind) {
      case 'move_stop': {
        if (it.targetId !== it.positionId) bad.push(`stop move targets #${it.targetId}`);
        this.checkStop(p.side, it.newSl, p.sl, bid, ask, bad);
        return;
      }
      case 'close_partial': {
        if (it.targetId !== it.positionId) bad.push(`partial close targets #${it.targetId}`);
        if (!isStepMultiple(it.volume, inst.lotStep) || !(it.volume >= inst.minLot - EPS))
          bad.push(`partial ${it.volume} breaks lot step ${inst.lotStep} / min lot ${inst.minLot}`);
        const rest = vol(p.volume - it.volume);
        if (rest < -EPS) bad.push(`partial ${it.volume} > open ${p.volume}`);
        else if (rest > EPS && rest < inst.minLot - EPS)
          bad.push(`partial ${it.volume} of ${p.volume} leaves ${rest} < min lot ${inst.minLot}`);
        return;
      }
      case 'close': {
        if (it.rule !== 'dtms') bad.push('a close from the exit plan');
        if (it.targetId === it.positionId) {
          if (Math.abs(it.volume - p.volume) > EPS)
            bad.push(`closes ${it.volume} of #${it.positionId} with ${p.volume} open`);
          return;
        }
        const h = this.held.get(it.targetId);
        if (!h) bad.push(`hedge #${it.targetId} is not open`);
        else if (h.hedgeOf !== it.positionId) bad.push(`#${it.targetId} is not a hedge of #${it.positionId}`);
        else if (Math.abs(it.volume - h.pos.volume) > EPS)
          bad.push(`closes ${it.volume} of hedge #${it.targetId} with ${h.pos.volume} open`);
        return;
      }
      case 'open': {
        if (it.rule !== 'dtms') bad.push('an open from the exit plan');
        if (
          !isStepMultiple(it.volume, inst.lotStep) ||
          !(it.volume >= inst.minLot - EPS) ||
          it.volume > inst.maxLot + EPS
        )
          bad.push(
            `open ${it.volume} breaks lot step ${inst.lotStep} / min lot ${inst.minLot} / max lot ${inst.maxLot}`,
          );
        if (Number.isFinite(it.newSl)) this.checkStop(it.side, it.newSl, null, bid, ask, bad);
        if (it.action === 'open_hedge') {
          if (!inst.hedging) bad.push('hedge opened on a netting account');
          if (it.side === p.side) bad.push(`hedge on the same side (${it.side}) as its position`);
          if (it.volume > p.volume + EPS) bad.push(`hedge ${it.volume} > open volume ${p.volume} of #${it.positionId}`);
          const other = this.openHedge.get(it.positionId);
          if (other !== undefined) bad.push(`second hedge for #${it.positionId} while #${other} is open`);
        } else if (it.action === 're_add') {
          if (it.side !== p.side) bad.push(`re-add on the other side (${it.side}) of its position`);
        } else bad.push(`open with action ${it.action}`);
        return;
      }
    }
  }

  /** A stop for a position of `side`: a tick multiple, beyond the stops level of the exit price, never looser than `current`. */
  private checkStop(side: Side, sl: number, current: number | null, bid: number, ask: number, bad: string[]): void {
    if (!Number.isFinite(sl)) {
      bad.push(`stop ${sl} is not a price`);
      return;
    }
    if (!isStepMultiple(sl, this.inst.tickSize)) bad.push(`stop ${sl} off the tick ${this.inst.tickSize}`);
    if (side === 'buy' ? sl > bid - this.stopGap + this.priceEps : sl < ask + this.stopGap - this.priceEps) {
      bad.push(
        `stop ${sl} on the wrong side of / inside the stops level of the ${side === 'buy' ? `bid ${bid}` : `ask ${ask}`}`,
      );
    }
    if (!isTighterStop(side, sl, current)) bad.push(`stop loosens or stays: ${current} -> ${sl}`);
  }

  private execute(it: Intent, bid: number, ask: number, now: number): void {
    const engine = this.engine;
    if (it.kind === 'close') {
      const targetIsMain = it.targetId === it.positionId;
      const h = this.held.get(it.targetId)!;
      this.remove(it.targetId, h.pos.side === 'buy' ? bid : ask, now, 'close');
      engine.resolve(it.positionId, it.id, 'applied');
      if (targetIsMain) engine.untrack(it.positionId);
      return;
    }
    const main = this.held.get(it.positionId)!;
    const p = main.pos;
    if (it.kind === 'move_stop') {
      main.pos = { ...p, sl: it.newSl };
      engine.resolve(it.positionId, it.id, 'applied');
      engine.track(main.pos, now);
      return;
    }
    if (it.kind === 'close_partial') {
      const rest = vol(p.volume - it.volume);
      if (rest <= EPS) {
        this.remove(p.id, p.side === 'buy' ? bid : ask, now, 'close');
        engine.resolve(it.positionId, it.id, 'applied');
        engine.untrack(p.id);
        return;
      }
      main.pos = { ...p, volume: rest };
      engine.resolve(it.positionId, it.id, 'applied');
      engine.track(main.pos, now);
      return;
    }
    // open: a hedge (its own ticket, not managed) or a re-add (managed like any position).
    const price = it.side === 'buy' ? ask : bid;
    const sl = Number.isFinite(it.newSl) ? it.newSl : null;
    if (it.action === 're_add' && !this.inst.hedging) {
      // Netting: the order adds to the position (volume-weighted entry; its stop replaces the position's).
      const total = vol(p.volume + it.volume);
      main.pos = {
        ...p,
        volume: total,
        entryPrice: (p.entryPrice * p.volume + price * it.volume) / total,
        sl: sl ?? p.sl,
      };
      this.counts.reAdds++;
      engine.resolve(it.positionId, it.id, 'applied', p.id);
      engine.track(main.pos, now);
      return;
    }
    const hedge = it.action === 'open_hedge';
    const id = `${it.positionId}.${hedge ? 'h' : 'r'}${++this.tickets}`;
    const pos: Position = {
      id,
      symbol: it.symbol,
      side: it.side,
      volume: it.volume,
      entryPrice: price,
      sl,
      tp: null,
      openTime: now,
      comment: it.comment,
    };
    this.held.set(id, { pos, hedgeOf: hedge ? it.positionId : '' });
    if (hedge) {
      this.openHedge.set(it.positionId, id);
      this.counts.hedgesOpened++;
    } else this.counts.reAdds++;
    engine.resolve(it.positionId, it.id, 'applied', id);
    if (!hedge) engine.track(pos, now);
  }

  private remove(id: string, exit: number, time: number, reason: ClosedTrade['reason']): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    if (h.hedgeOf !== '' && this.openHedge.get(h.hedgeOf) === id) this.openHedge.delete(h.hedgeOf);
    const p = h.pos;
    this.closed.push({
      id,
      side: p.side,
      volume: p.volume,
      entry: p.entryPrice,
      exit,
      time,
      reason,
      hedgeOf: h.hedgeOf,
    });
  }
}

/** The spread the engine uses for a bar: finite and > 0, else 0. */
export function spreadOf(bar: Bar): number {
  return Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
}

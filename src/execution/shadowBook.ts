// Shadow mode: Warden reads the account and decides, and sends nothing. Every intent it would send is
// applied here instead, to a would-be copy of the position (its would-be stop, the volume its would-be
// closes leave, a would-be hedge), and the engine sees the account through that copy: it goes on deciding
// from the stop it would have placed, exactly as it would live. The venue's own positions stay as the
// trader left them; their stops and targets fill at the venue as usual.
//
// Each position is scored against what the market did: the would-be stop is "hit" when a bar crosses it
// (a buy's stop at or above the bar's low; a sell's at or below its high plus the spread), at the stop,
// or at the bar's open when the bar opened beyond it; a would-be close or partial is taken at the price
// the decision saw. What actually happened is read from the venue: the position leaving it at its own
// stop or target (the bar crossed it), else at the bar's close when it left (closed by hand). Results are
// in R of the risk the position had when first seen (entry to its stop then), on its volume then, so
// the would-be and the actual result of a position compare directly.
//
// A symbol is shadowed or live. Promoting a symbol to live ends its would-be copies: the positions are
// then managed afresh from what the venue holds (a new lifetime each, from the venue's stop and volume).
//
// Deterministic and I/O-free: the session feeds it the venue's positions, the bars and the intents, and
// keeps its snapshot in the store with the session's state, in the same transaction.
import type { ShadowBookSnapshot, ShadowExit, ShadowFill, ShadowPosition } from '../domain/shadowBookSnapshot.ts';
import type { Bar, Intent, Position } from '../domain/types.ts';
import { sideSign } from '../domain/types.ts';

/** A position's would-be result beside its actual one, in R and in price units times volume. */
export interface ShadowScore
  extends Pick<ShadowPosition, 'ticket' | 'symbol' | 'side' | 'entryPrice' | 'openTime' | 'virtual' | 'decisions'> {
  /** The stop Warden would have now (null: the venue's), and the venue's. */
  wouldBeSl: number | null;
  venueSl: number | null;
  wouldBeVolume: number;
  venueVolume: number;
  shadowExit: ShadowExit | null;
  actualExit: ShadowExit | null;
  /** Results so far (open parts valued at the last price), R (null without a risk) and price x volume. */
  shadowR: number | null;
  actualR: number | null;
  shadowMove: number;
  actualMove: number;
  /** Both ended (the comparison is final). */
  final: boolean;
}

export interface ShadowTotals {
  positions: number;
  final: number;
  /** Positions with at least one would-be decision. */
  acted: number;
  decisions: number;
  /** Means over the positions with a risk, R; the paired difference (shadow − actual) with its standard error. */
  shadowMeanR: number | null;
  actualMeanR: number | null;
  diffMeanR: number | null;
  diffSeR: number | null;
  /** Positions where the would-be result was better / worse / the same (within 0.01 R). */
  better: number;
  worse: number;
  same: number;
}

const SAME_R = 0.01;
/** Ended positions kept for the report (the oldest are dropped past this). */
const KEPT_ENDED = 5_000;

export class ShadowBook {
  private readonly promoted: Set<string>;
  private readonly byTicket = new Map<string, ShadowPosition>();
  private ended: ShadowPosition[] = [];
  private virtualSeq: number;
  /** Changed since the last `committed()`: the session stores it with its next transaction. */
  dirty = false;

  /** `symbols`: those the account shadows (promoted ones in the snapshot are live). */
  constructor(
    private readonly symbols: readonly string[],
    snap: ShadowBookSnapshot | null = null,
  ) {
    this.promoted = new Set(snap?.promoted ?? []);
    this.virtualSeq = snap?.virtualSeq ?? 0;
    for (const p of snap?.positions ?? []) {
      if (p.shadowExit !== null && (p.actualExit !== null || p.virtual)) this.ended.push(p);
      else this.byTicket.set(p.ticket, p);
    }
  }

  /** True while `symbol` is shadowed (decisions recorded, nothing sent). */
  shadows(symbol: string): boolean {
    return this.symbols.includes(symbol) && !this.promoted.has(symbol);
  }

  /** The symbols shadowed now. */
  shadowed(): string[] {
    return this.symbols.filter((s) => !this.promoted.has(s));
  }

  /**
   * The venue's positions as the engine should see them: a shadowed position with its would-be stop and
   * volume, hidden once its would-be copy has ended, and the would-be hedges beside them. Also takes
   * the venue's news: a position seen for the first time, a stop or volume the trader changed, a
   * position gone (its actual exit, at `bar` when one is given: see the header).
   */
  overlay(
    venue: readonly Position[],
    now: number,
    priceOf: (symbol: string) => { bid: number; ask: number; bar: Bar | null },
  ): Position[] {
    const out: Position[] = [];
    const seen = new Set<string>();
    for (const p of venue) {
      if (!this.shadows(p.symbol)) {
        out.push(p);
        continue;
      }
      seen.add(p.id);
      let s = this.byTicket.get(p.id);
      if (s !== undefined && (s.openTime !== p.openTime || s.side !== p.side || s.entryPrice !== p.entryPrice)) {
        // The ticket holds another position now: the one before left the venue.
        this.actualEnd(s, now, priceOf(s.symbol));
        s = undefined;
      }
      if (s === undefined) {
        s = newShadowPosition(p, now);
        this.byTicket.set(p.id, s);
        this.dirty = true;
      }
      this.see(s, p, now, priceOf(p.symbol));
      if (s.shadowExit !== null) continue;
      const volume = round8(p.volume - closedOf(s.closed));
      if (volume <= 0) continue;
      out.push({ ...p, sl: s.sl ?? p.sl, volume });
    }
    for (const s of [...this.byTicket.values()]) {
      if (s.virtual) {
        if (this.shadows(s.symbol) && s.shadowExit === null) out.push(virtualPosition(s));
        continue;
      }
      if (!seen.has(s.ticket) && this.shadows(s.symbol)) this.actualEnd(s, now, priceOf(s.symbol));
    }
    return out;
  }

  /**
   * A closed bar of `symbol`: would-be stops it crosses end their copies (see the header); would-be
   * hedges with a stop too. Returns the tickets whose would-be copy ended.
   */
  onBar(symbol: string, bar: Bar, closeTime: number): string[] {
    const ended: string[] = [];
    if (!this.shadows(symbol)) return ended;
    const spread = Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    for (const s of this.byTicket.values()) {
      if (s.symbol !== symbol || s.shadowExit !== null) continue;
      s.lastPrice = s.side === 'buy' ? bar.close : bar.close + spread;
      s.lastTime = closeTime;
      const sl = s.sl;
      if (sl === null) continue; // the venue's own stop: what the venue does is the actual and the would-be result
      const hit = s.side === 'buy' ? bar.low <= sl : bar.high + spread >= sl;
      if (!hit) continue;
      const open = s.side === 'buy' ? bar.open : bar.open + spread;
      const price = s.side === 'buy' ? Math.min(sl, open) : Math.max(sl, open);
      s.shadowExit = { time: closeTime, price, how: 'stop', by: s.slBy };
      this.dirty = true;
      ended.push(s.ticket);
      if (s.virtual) this.retire(s);
    }
    return ended;
  }

  /**
   * Applies an intent Warden would send: the would-be stop, partial close, close or hedge. Returns the
   * ticket a would-be open created ('' otherwise). `price`: the exit-side price the decision saw.
   */
  apply(intent: Intent, now: number, bid: number, ask: number): string {
    this.dirty = true;
    if (intent.kind === 'open') {
      const ticket = `shadow:${++this.virtualSeq}`;
      const entry = intent.side === 'buy' ? ask : bid;
      const sl = Number.isFinite(intent.newSl) ? intent.newSl : null;
      const s: ShadowPosition = {
        ticket,
        symbol: intent.symbol,
        side: intent.side,
        entryPrice: entry,
        openTime: now,
        virtual: true,
        comment: intent.comment,
        initialSl: sl,
        initialVolume: intent.volume,
        risk: sl === null ? Number.NaN : Math.abs(entry - sl),
        venueSl: null,
        venueTp: null,
        venueVolume: 0,
        sl,
        slBy: intent.rule,
        slAt: now,
        closed: [],
        venueClosed: [],
        decisions: 1,
        shadowExit: null,
        actualExit: null,
        lastPrice: intent.side === 'buy' ? bid : ask,
        lastTime: now,
      };
      this.byTicket.set(ticket, s);
      return ticket;
    }
    // Every intent but an open names the venue ticket it acts on.
    const s = this.byTicket.get(intent.targetId);
    if (s === undefined) return '';
    s.decisions++;
    const exitPrice = s.side === 'buy' ? bid : ask;
    if (intent.kind === 'move_stop') {
      s.sl = intent.newSl;
      s.slBy = intent.rule === 'dtms' && intent.action !== '' ? `dtms ${intent.action}` : intent.rule;
      s.slAt = now;
    } else if (intent.kind === 'close_partial') {
      s.closed.push({ time: now, volume: intent.volume, price: exitPrice });
      // Partials that take all of it are a close.
      if (closedOf(s.closed) >= s.initialVolume - 1e-9) {
        s.shadowExit = { time: now, price: exitPrice, how: 'close', by: intent.rule };
        if (s.virtual) this.retire(s);
      }
    } else if (intent.kind === 'close') {
      s.shadowExit = {
        time: now,
        price: exitPrice,
        how: 'close',
        by: intent.rule === 'dtms' && intent.action !== '' ? `dtms ${intent.action}` : intent.rule,
      };
      if (s.virtual) this.retire(s);
    }
    return '';
  }

  /** Why a position left the engine's view, when its would-be copy ended ('' when it did not). */
  endReason(ticket: string): string {
    const s = this.byTicket.get(ticket) ?? this.ended.find((e) => e.ticket === ticket);
    const e = s?.shadowExit;
    if (!s || !e || s.actualExit !== null) return '';
    const what =
      e.how === 'stop'
        ? `its would-be stop (${e.by}) was hit at ${e.price}`
        : e.how === 'close'
          ? `Warden would have closed it (${e.by}) at ${e.price}`
          : 'promoted to live';
    return `shadow: ${what}; the position is still open at the venue, as the trader left it`;
  }

  /**
   * `symbol` goes live: its would-be copies end (scored as they stand, marked promoted), the would-be
   * hedges are dropped. Returns the venue tickets whose copies ended, for the session to manage afresh.
   */
  promote(symbol: string, now: number): string[] {
    if (!this.symbols.includes(symbol) || this.promoted.has(symbol)) return [];
    this.promoted.add(symbol);
    this.dirty = true;
    const tickets: string[] = [];
    for (const s of [...this.byTicket.values()]) {
      if (s.symbol !== symbol) continue;
      if (s.shadowExit === null)
        s.shadowExit = { time: now, price: s.lastPrice, how: 'promoted', by: 'promotion to live' };
      if (s.virtual) this.retire(s);
      else tickets.push(s.ticket);
    }
    return tickets;
  }

  /** The would-be view of one venue ticket (null: not shadowed). */
  position(ticket: string): ShadowScore | null {
    const s = this.byTicket.get(ticket) ?? this.ended.find((e) => e.ticket === ticket);
    return s === undefined ? null : scoreOf(s);
  }

  /** Every position the book knows, open ones first (by ticket), then the ended ones, newest first. */
  scores(): ShadowScore[] {
    const open = [...this.byTicket.values()].sort(
      (a, b) => a.openTime - b.openTime || a.ticket.localeCompare(b.ticket),
    );
    return [...open, ...[...this.ended].reverse()].map(scoreOf);
  }

  snapshot(): ShadowBookSnapshot {
    return {
      promoted: [...this.promoted].sort(),
      positions: [...this.ended, ...this.byTicket.values()].map((p) => structuredClone(p)),
      virtualSeq: this.virtualSeq,
    };
  }

  committed(): void {
    this.dirty = false;
  }

  private see(s: ShadowPosition, p: Position, now: number, px: { bid: number; ask: number }): void {
    const drop = round8(s.venueVolume - p.volume);
    const price = s.side === 'buy' ? px.bid : px.ask;
    if (drop > 0 && Number.isFinite(price)) s.venueClosed.push({ time: now, volume: drop, price });
    if (s.venueSl !== p.sl || s.venueTp !== p.tp || s.venueVolume !== p.volume || drop > 0) this.dirty = true;
    s.venueSl = p.sl;
    s.venueTp = p.tp;
    s.venueVolume = p.volume;
    if (Number.isFinite(price)) {
      s.lastPrice = price;
      s.lastTime = now;
    }
  }

  /** The venue's position is gone: its actual exit, from the bar that took it (see the header). */
  private actualEnd(s: ShadowPosition, now: number, px: { bid: number; ask: number; bar: Bar | null }): void {
    const bar = px.bar;
    const spread = bar !== null && Number.isFinite(bar.spread) && bar.spread > 0 ? bar.spread : 0;
    let exit: ShadowExit;
    const buy = s.side === 'buy';
    const low = bar === null ? Number.NaN : buy ? bar.low : bar.low + spread;
    const high = bar === null ? Number.NaN : buy ? bar.high : bar.high + spread;
    if (s.venueSl !== null && (buy ? low <= s.venueSl : high >= s.venueSl))
      exit = { time: now, price: s.venueSl, how: 'stop', by: 'the venue stop' };
    else if (s.venueTp !== null && (buy ? high >= s.venueTp : low <= s.venueTp))
      exit = { time: now, price: s.venueTp, how: 'target', by: 'the venue target' };
    else
      exit = {
        time: now,
        price: bar !== null ? (buy ? bar.close : bar.close + spread) : buy ? px.bid : px.ask,
        how: 'close',
        by: 'closed at the venue',
      };
    if (!Number.isFinite(exit.price)) exit.price = s.lastPrice;
    s.actualExit = exit;
    // Still open in the would-be copy: the venue's exit is its exit too (the same stop or target).
    if (s.shadowExit === null) s.shadowExit = { ...exit };
    this.dirty = true;
    this.retire(s);
  }

  private retire(s: ShadowPosition): void {
    this.byTicket.delete(s.ticket);
    this.ended.push(s);
    if (this.ended.length > KEPT_ENDED) this.ended.splice(0, this.ended.length - KEPT_ENDED);
  }
}

function newShadowPosition(p: Position, now: number): ShadowPosition {
  return {
    ticket: p.id,
    symbol: p.symbol,
    side: p.side,
    entryPrice: p.entryPrice,
    openTime: p.openTime,
    virtual: false,
    comment: p.comment,
    initialSl: p.sl,
    initialVolume: p.volume,
    risk: p.sl === null ? Number.NaN : Math.abs(p.entryPrice - p.sl),
    venueSl: p.sl,
    venueTp: p.tp,
    venueVolume: p.volume,
    sl: null,
    slBy: '',
    slAt: now,
    closed: [],
    venueClosed: [],
    decisions: 0,
    shadowExit: null,
    actualExit: null,
    lastPrice: Number.NaN,
    lastTime: now,
  };
}

function virtualPosition(s: ShadowPosition): Position {
  return {
    id: s.ticket,
    symbol: s.symbol,
    side: s.side,
    volume: round8(s.initialVolume - closedOf(s.closed)),
    entryPrice: s.entryPrice,
    sl: s.sl,
    tp: null,
    openTime: s.openTime,
    comment: s.comment,
  };
}

const round8 = (x: number): number => Math.round(x * 1e8) / 1e8;
const closedOf = (fills: readonly ShadowFill[]): number => fills.reduce((n, f) => n + f.volume, 0);

/** Price move times volume of a position's fills plus its rest at `rest` (its exit, or the last price). */
function moveOf(s: ShadowPosition, fills: readonly ShadowFill[], rest: number): number {
  const sign = sideSign(s.side);
  let move = 0;
  let left = s.initialVolume;
  for (const f of fills) {
    move += sign * (f.price - s.entryPrice) * f.volume;
    left -= f.volume;
  }
  if (left > 1e-9 && Number.isFinite(rest)) move += sign * (rest - s.entryPrice) * left;
  return move;
}

export function scoreOf(s: ShadowPosition): ShadowScore {
  const shadowRest = s.shadowExit?.price ?? s.lastPrice;
  const actualRest = s.actualExit?.price ?? s.lastPrice;
  const shadowMove = moveOf(s, s.closed, shadowRest);
  const actualMove = s.virtual ? 0 : moveOf(s, s.venueClosed, actualRest);
  const unit = s.risk * s.initialVolume;
  const r = (m: number): number | null =>
    unit > 0 && Number.isFinite(m) ? Math.round((m / unit) * 1000) / 1000 : null;
  return {
    ticket: s.ticket,
    symbol: s.symbol,
    side: s.side,
    entryPrice: s.entryPrice,
    openTime: s.openTime,
    virtual: s.virtual,
    decisions: s.decisions,
    wouldBeSl: s.sl,
    venueSl: s.venueSl,
    wouldBeVolume: s.shadowExit !== null ? 0 : round8(s.initialVolume - closedOf(s.closed)),
    venueVolume: s.actualExit !== null ? 0 : s.venueVolume,
    shadowExit: s.shadowExit,
    actualExit: s.actualExit,
    shadowR: r(shadowMove),
    actualR: s.virtual ? null : r(actualMove),
    shadowMove,
    actualMove,
    final: s.shadowExit !== null && (s.actualExit !== null || s.virtual),
  };
}

/** Totals over scores: means in R and the paired difference with its standard error (positions with a risk, not would-be hedges). */
export function shadowTotals(scores: readonly ShadowScore[]): ShadowTotals {
  const paired = scores.filter((s) => !s.virtual && s.shadowR !== null && s.actualR !== null);
  const diffs = paired.map((s) => s.shadowR! - s.actualR!);
  const mean = (xs: readonly number[]): number | null =>
    xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  const dm = mean(diffs);
  let se: number | null = null;
  if (dm !== null && diffs.length > 1) {
    const v = diffs.reduce((a, d) => a + (d - dm) ** 2, 0) / (diffs.length - 1);
    se = Math.sqrt(v / diffs.length);
  }
  const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    positions: scores.length,
    final: scores.filter((s) => s.final).length,
    acted: scores.filter((s) => s.decisions > 0).length,
    decisions: scores.reduce((n, s) => n + s.decisions, 0),
    shadowMeanR: r3(mean(paired.map((s) => s.shadowR!))),
    actualMeanR: r3(mean(paired.map((s) => s.actualR!))),
    diffMeanR: r3(dm),
    diffSeR: r3(se),
    better: diffs.filter((d) => d > SAME_R).length,
    worse: diffs.filter((d) => d < -SAME_R).length,
    same: diffs.filter((d) => Math.abs(d) <= SAME_R).length,
  };
}

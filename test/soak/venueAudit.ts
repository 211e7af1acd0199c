// The venue's own record of what happened to each position, kept by the soak driver beside the fake
// venue: after every event that may change the venue (a request from Warden, the trader's hand, the
// market reaching a stop or target), the positions are read again and every difference is written down
// with who made it. Nothing here reads Warden's store: it is the evidence the checks hold Warden to.
//
// A "segment" is one position as the venue had it: from its open (or from a change of its entry price,
// which on Binance means the position was added to) to its close. That is what Warden calls a lifetime:
// its rule is the same (a position seen gone, or with another entry, is another one), so a lifetime
// maps to exactly one segment of its ticket.
import type { Side } from '../../src/domain/types.ts';

/** A position as the venue holds it now. */
export interface VenuePosition {
  /** The venue's ticket (Binance: `XAU/USDT:USDT:long`). */
  id: string;
  side: Side;
  volume: number;
  entry: number;
  sl: number | null;
  tp: number | null;
  /** How many closePosition stops the venue holds for it (Binance allows one per side). */
  stops: number;
  comment: string;
}

/** Who changed the venue. */
export type AuditSource =
  | { by: 'warden'; request: string; clientId: string }
  | { by: 'trader'; what: string }
  | { by: 'market'; what: string };

export interface StopChange {
  seq: number;
  step: number;
  from: number | null;
  to: number | null;
  source: AuditSource;
}

export interface Segment {
  key: string;
  id: string;
  side: Side;
  entry: number;
  openedBy: AuditSource;
  /** The audit's sequence number, and the venue's clock, when it opened; likewise when it closed. */
  openedAt: number;
  openedTime: number;
  closedTime: number | null;
  initialVolume: number;
  volume: number;
  sl: number | null;
  tp: number | null;
  /** Volume Warden's requests closed on this segment. */
  closedByWarden: number;
  /** Volume closed otherwise (the trader's hand, stops and targets). */
  closedOtherwise: number;
  stopChanges: StopChange[];
  /** The last stop that was not 'none', and who set it. */
  lastStop: number | null;
  closedAt: number | null;
  closedBy: AuditSource | null;
  /** The step the stop went to none by Warden's hand and is not back (null: it is there, or was never removed by Warden). */
  removedAtStep: number | null;
}

export interface Violation {
  check: string;
  step: number;
  message: string;
}

/** A stop price equal up to float noise (prices here are on a 0.001 or 0.01 grid). */
export const samePrice = (a: number | null, b: number | null): boolean =>
  a === null || b === null ? a === b : Math.abs(a - b) < 1e-7;

/** Whether `next` is looser than `prev` for a stop of a `side` position. */
export const looser = (side: Side, prev: number, next: number): boolean =>
  side === 'buy' ? next < prev - 1e-7 : next > prev + 1e-7;

export class VenueAudit {
  readonly segments: Segment[] = [];
  private readonly open = new Map<string, Segment>();
  private readonly counters = new Map<string, number>();
  readonly violations: Violation[] = [];
  /** Every event observed, numbered. */
  seq = 0;
  step = 0;
  /** The venue's clock (the soak sets it with each bar). */
  now = 0;

  constructor(private readonly read: () => VenuePosition[]) {}

  /** The open segment of a venue ticket. */
  current(id: string): Segment | undefined {
    return this.open.get(id);
  }

  /** Open segments now. */
  openSegments(): Segment[] {
    return [...this.open.values()];
  }

  /** The segment of ticket `id` open at venue time `t` (the latest opened by then). */
  segmentAt(id: string, t: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.id === id && s.openedTime <= t && (s.closedTime === null || s.closedTime >= t)) return s;
    }
    return undefined;
  }

  /** The segment of ticket `id` that began with entry `entry` (the latest such). */
  segmentOf(id: string, entry: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s.id === id && Math.abs(s.entry - entry) <= 1e-9 * Math.max(1, Math.abs(entry))) return s;
    }
    return undefined;
  }

  /** Reads the venue after `source` acted and writes down every difference. */
  observe(source: AuditSource): void {
    this.seq++;
    const now = new Map(this.read().map((p) => [p.id, p]));
    for (const [id, seg] of this.open) {
      const p = now.get(id);
      if (p && p.side === seg.side && Math.abs(p.entry - seg.entry) <= 1e-9 * Math.max(1, Math.abs(seg.entry)))
        continue;
      // Gone, or another position under the ticket (flipped, or its entry moved: added to).
      const closing = seg.volume;
      this.closeVolume(seg, closing, source);
      seg.volume = 0;
      seg.closedAt = this.seq;
      seg.closedTime = this.now;
      seg.closedBy = source;
      this.open.delete(id);
    }
    for (const p of now.values()) {
      let seg = this.open.get(p.id);
      if (!seg) {
        const n = (this.counters.get(p.id) ?? 0) + 1;
        this.counters.set(p.id, n);
        seg = {
          key: `${p.id}~${n}`,
          id: p.id,
          side: p.side,
          entry: p.entry,
          openedBy: source,
          openedAt: this.seq,
          openedTime: this.now,
          closedTime: null,
          initialVolume: p.volume,
          volume: p.volume,
          sl: p.sl,
          tp: p.tp,
          closedByWarden: 0,
          closedOtherwise: 0,
          stopChanges: [],
          lastStop: p.sl,
          closedAt: null,
          closedBy: null,
          removedAtStep: null,
        };
        this.segments.push(seg);
        this.open.set(p.id, seg);
        if (p.sl !== null) seg.stopChanges.push({ seq: this.seq, step: this.step, from: null, to: p.sl, source });
      } else {
        if (p.volume < seg.volume - 1e-9) this.closeVolume(seg, seg.volume - p.volume, source);
        else if (p.volume > seg.volume + 1e-9)
          this.flag(
            'venue_volume_grew',
            `${seg.key}: volume went from ${seg.volume} to ${p.volume} with its entry unchanged (${describe(source)})`,
          );
        seg.volume = p.volume;
        if (!samePrice(p.sl, seg.sl)) this.stopChanged(seg, p.sl, source);
        seg.tp = p.tp;
      }
      if (p.stops > 1)
        this.flag('two_stops', `${seg.key} holds ${p.stops} closePosition stops after ${describe(source)}`);
    }
  }

  private closeVolume(seg: Segment, volume: number, source: AuditSource): void {
    if (source.by === 'warden') seg.closedByWarden = round8(seg.closedByWarden + volume);
    else seg.closedOtherwise = round8(seg.closedOtherwise + volume);
    if (seg.closedByWarden + seg.closedOtherwise > seg.initialVolume + 1e-9) {
      this.flag(
        'closed_more_than_open',
        `${seg.key}: ${seg.closedByWarden} closed by Warden and ${seg.closedOtherwise} otherwise, of ${seg.initialVolume} opened`,
      );
    }
  }

  /** A stop change, checked: Warden never moves a stop to a looser price than the last one the position had. */
  private stopChanged(seg: Segment, to: number | null, source: AuditSource): void {
    seg.stopChanges.push({ seq: this.seq, step: this.step, from: seg.sl, to, source });
    seg.sl = to;
    if (source.by !== 'warden') {
      // The trader's hand sets the baseline, looser or not.
      if (to !== null) seg.lastStop = to;
      seg.removedAtStep = null;
      return;
    }
    if (to === null) {
      seg.removedAtStep ??= this.step;
      return;
    }
    if (seg.lastStop !== null && looser(seg.side, seg.lastStop, to)) {
      const history = seg.stopChanges
        .slice(-6)
        .map((c) => `${c.from ?? 'none'}->${c.to ?? 'none'} (${describe(c.source)}, step ${c.step})`)
        .join('; ');
      this.flag(
        'stop_loosened',
        `${seg.key} (${seg.side}, entry ${seg.entry}): Warden set the stop to ${to}, looser than ${seg.lastStop} before it; recent stop changes: ${history}`,
      );
    }
    seg.lastStop = to;
    seg.removedAtStep = null;
  }

  /** SIGKILLs of `warden serve`, by step (a violation names the ones just before it). */
  readonly kills: { step: number; kind: string }[] = [];

  flag(check: string, message: string): void {
    const recent = this.kills.filter((k) => k.step >= this.step - 3);
    const killed =
      recent.length === 0
        ? ''
        : ` [warden serve was SIGKILLed ${recent.map((k) => `at step ${k.step} (${k.kind})`).join(', ')}]`;
    this.violations.push({ check, step: this.step, message: `${message}${killed}` });
  }
}

export function describe(s: AuditSource): string {
  return s.by === 'warden' ? `warden ${s.request}${s.clientId ? ` [${s.clientId}]` : ''}` : `${s.by}: ${s.what}`;
}

const round8 = (v: number): number => Number(v.toFixed(8));

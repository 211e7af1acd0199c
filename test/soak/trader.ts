// The trader at the venue, by hand, between two of Warden's looks: opens positions now and then with
// a stop and a target sized on the recent bars, closes some early, reopens the same symbol and side
// (on Binance the same position id; on MetaTrader a new ticket), and sometimes moves a stop by hand,
// tighter or looser. Warden never learns of any of it but from the venue. Seeded: the same seed and
// bars make the same trader.
import type { Bar, Side } from '../../src/domain/types.ts';
import { seededRandom } from '../../src/market/sampleMarket.ts';
import type { SoakVenue } from './soakVenues.ts';
import type { VenueAudit } from './venueAudit.ts';

/** The soak's randomness is reproducible: the seeded generator of the sample market (mulberry32). */
export const rng = seededRandom;

export interface TraderFigures {
  opens: number;
  /** Opens of the same symbol and side as a position the trader closed by hand just before. */
  reopens: number;
  /** ...of which in the same look (closed and opened again between two of Warden's steps). */
  reopensBetweenLooks: number;
  closes: number;
  stopMoves: number;
  /** Hand moves the venue refused (a stop on the wrong side of the price). */
  refused: number;
}

export interface TraderOptions {
  /** Chance per bar of an open, when there is room. */
  openChance: number;
  /** Chance per bar and position of a close by hand. */
  closeChance: number;
  /** Chance, after a close by hand, of reopening the same side. */
  reopenChance: number;
  /** Chance per bar and position of a stop moved by hand. */
  moveChance: number;
}

export const DEFAULT_TRADER: TraderOptions = {
  openChance: 1 / 25,
  closeChance: 1 / 200,
  reopenChance: 0.6,
  moveChance: 1 / 300,
};

export class Trader {
  readonly figures: TraderFigures = {
    opens: 0,
    reopens: 0,
    reopensBetweenLooks: 0,
    closes: 0,
    stopMoves: 0,
    refused: 0,
  };
  /** Tickets the trader opened (the others are Warden's: DTMS hedges and re-adds). */
  readonly mine = new Set<string>();
  private readonly random: () => number;
  /** Reopens waiting: side, and the bar from which it may happen. */
  private readonly reopen: { side: Side; at: number; entry: number }[] = [];

  constructor(
    private readonly venue: SoakVenue,
    private readonly audit: VenueAudit,
    seed: number,
    private readonly o: TraderOptions = DEFAULT_TRADER,
  ) {
    this.random = rng(seed);
  }

  /** The trader's turn after bar `i` closed (`recent`: the bars up to it). */
  act(i: number, recent: readonly Bar[]): void {
    const held = this.audit.openSegments().filter((s) => this.mine.has(s.id));
    for (const seg of held) {
      if (this.random() < this.o.closeChance) {
        this.venue.traderClose(seg.id);
        this.figures.closes++;
        this.audit.observe({ by: 'trader', what: `close ${seg.id}` });
        if (this.random() < this.o.reopenChance) {
          // Half of them in the same look, the rest a few bars later.
          const now = this.random() < 0.5;
          this.reopen.push({ side: seg.side, at: now ? i : i + 1 + Math.floor(this.random() * 20), entry: seg.entry });
        }
        continue;
      }
      if (this.random() < this.o.moveChance && seg.sl !== null)
        this.moveStop(seg.id, seg.side, seg.sl, seg.entry, recent);
    }
    const room = this.venue.maxTraderPositions - this.audit.openSegments().filter((s) => this.mine.has(s.id)).length;
    const due = this.reopen.findIndex((r) => r.at <= i);
    if (room > 0 && due >= 0) {
      const r = this.reopen[due]!;
      // Binance keeps no open time: a position closed and opened again at the very same entry between two
      // looks cannot be told from the one before (a limit of the venue's data, not Warden's to fix), so
      // the trader here waits for the price to move.
      if (this.venue.kind === 'binance' && Math.abs(this.venue.entryIfOpened(r.side) - r.entry) < 1e-9) {
        r.at = i + 1;
      } else {
        this.reopen.splice(due, 1);
        if (this.openOne(r.side, recent)) {
          this.figures.reopens++;
          if (r.at === i) this.figures.reopensBetweenLooks++;
        }
      }
    } else if (room > 0 && this.random() < this.o.openChance) {
      this.openOne(this.random() < 0.5 ? 'buy' : 'sell', recent);
    }
  }

  /** Stop and target distance: 6 average M1 ranges of the last hour (at least 4 ticks). */
  private distance(recent: readonly Bar[]): number {
    const last = recent.slice(-60);
    const range = last.reduce((s, b) => s + (b.high - b.low), 0) / Math.max(1, last.length);
    return Math.max(6 * range, 4 * this.venue.tick);
  }

  private openOne(side: Side, recent: readonly Bar[]): boolean {
    const bid = this.venue.bid();
    const d = this.distance(recent);
    const tick = this.venue.tick;
    const s = side === 'buy' ? 1 : -1;
    const sl = round(Math.round((bid - s * d) / tick) * tick, tick);
    const tp = round(Math.round((bid + s * 2.5 * d) / tick) * tick, tick);
    // On Binance (one-way) the symbol holds one position: an add or a netting order is not what the trader does here.
    if (this.venue.kind === 'binance' && this.audit.openSegments().length > 0) return false;
    const id = this.venue.traderOpen(side, this.venue.tradeVolume, sl, tp);
    this.mine.add(id);
    this.figures.opens++;
    this.audit.observe({ by: 'trader', what: `open ${side} ${this.venue.tradeVolume} sl ${sl} tp ${tp} (${id})` });
    return true;
  }

  private moveStop(id: string, side: Side, sl: number, entry: number, recent: readonly Bar[]): void {
    const d = this.distance(recent);
    // Tighter or looser by a third of the stop distance.
    const s = side === 'buy' ? 1 : -1;
    const shift = ((this.random() < 0.5 ? 1 : -1) * s * d) / 3;
    const tick = this.venue.tick;
    const next = round(Math.round((sl + shift) / tick) * tick, tick);
    const bid = this.venue.bid();
    if (side === 'buy' ? next >= bid - tick : next <= bid + tick) {
      this.figures.refused++;
      return;
    }
    try {
      this.venue.traderMoveStop(id, next);
    } catch {
      this.figures.refused++;
      return;
    }
    this.figures.stopMoves++;
    this.audit.observe({ by: 'trader', what: `stop of ${id} (entry ${entry}) from ${sl} to ${next}` });
  }
}

const round = (v: number, tick: number): number => Number(v.toFixed(Math.max(0, Math.round(-Math.log10(tick)))));

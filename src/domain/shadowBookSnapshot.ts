// What the shadow book keeps of each position it shadows (the would-be copy beside the venue's) and the
// snapshot the store keeps of the whole book, in the same transaction as the session's state. Plain data:
// the shadow book (execution) writes it, the store persists it, the dashboard shows its exits.
import type { Side } from './types.ts';

/** How a would-be or actual position ended. */
export interface ShadowExit {
  time: number;
  /** Volume-weighted exit price of the rest (partials are counted apart). */
  price: number;
  /** stop: the would-be (or the venue's) stop was crossed; target: the venue's take profit; close: a decision (or the trader) closed it; promoted: ended by a promotion to live. */
  how: 'stop' | 'target' | 'close' | 'promoted';
  /** What ended it: the rule whose stop was hit or that closed it (breakeven, trail, dtms tighten_stop...), or the venue's stop or target. */
  by: string;
}

/** A would-be partial close (or the venue's own volume drop) at a price. */
export interface ShadowFill {
  time: number;
  volume: number;
  price: number;
}

export interface ShadowPosition {
  ticket: string;
  symbol: string;
  side: Side;
  entryPrice: number;
  openTime: number;
  /** A position the venue does not have: a would-be DTMS hedge (its ticket is `shadow:<n>`). */
  virtual: boolean;
  comment: string;
  /** The stop and volume when first seen: the R unit (NaN risk: no stop then, results in price only). */
  initialSl: number | null;
  initialVolume: number;
  risk: number;
  /** The venue's view, as last read. */
  venueSl: number | null;
  venueTp: number | null;
  venueVolume: number;
  /** The would-be stop (null: the venue's stands), the rule that placed it and when. */
  sl: number | null;
  slBy: string;
  slAt: number;
  /** Volume the would-be closes took, and where. */
  closed: ShadowFill[];
  /** Volume the venue lost while open (the trader's own partial closes), and where. */
  venueClosed: ShadowFill[];
  /** Intents Warden would have sent for it. */
  decisions: number;
  shadowExit: ShadowExit | null;
  actualExit: ShadowExit | null;
  /** The last price seen for it (exit side), to value what is still open. */
  lastPrice: number;
  lastTime: number;
}

export interface ShadowBookSnapshot {
  /** Symbols promoted to live while the account ran in shadow mode (they stay live after a restart). */
  promoted: string[];
  positions: ShadowPosition[];
  /** Numbering of would-be hedges. */
  virtualSeq: number;
}

// One position a replay opens: where it comes from (an entries file, a venue's history, generated) and
// its stops, before it is filled at a bar's open.
import type { Side } from '../domain/types.ts';

export interface ReplayEntry {
  /** Epoch ms; the position opens at the first bar whose open time is >= this. */
  time: number;
  side: Side;
  volume: number;
  /** Absolute stop / target prices (entries file). */
  sl: number | null;
  tp: number | null;
  /** Generated entries: stop and target as distances from the actual fill price. */
  slDistance: number;
  tpDistance: number;
  comment: string;
  /** Where the entry came from, for messages: "file:line" or "generated #n". */
  source: string;
  /**
   * A venue's history only: the price the trade was filled at there. Informational (the replay fills at
   * the bar's open, as for every entry); absent for the entries CSV and generated entries.
   */
  venuePrice?: number;
}

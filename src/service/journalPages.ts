// Pages of the decision journal for the API, as JSON text: the latest records of the account, of a
// ticket's lifetimes or of DTMS, and the older pages behind them (cursor `before=<seq>`).
//
// The handlers share the engine's thread, so a page must cost little however large the journal and
// however many clients ask. Each page is one indexed read of at most `limit` rows (the store's
// decisionPage), and what was read is kept:
//   - a page older than the journal's head (`before` at most the last seq + 1) never changes, since
//     records are only appended with a higher seq: it is kept as it is;
//   - the latest page follows the head: when records were appended since it was read, only the ones
//     after it are read and added, the oldest falling off.
// The pages kept are bounded in number and in bytes, the least recently asked going first.
import { ticketOfKey } from '../domain/lifetime.ts';
import type { JournalDecision, JournalFilter, WardenStore } from '../store/store.ts';

/** A page of decisions as the API answers it: the JSON array (UTF-8, as sent), how many it holds, and the seq of its oldest (the next page's cursor). */
export interface DecisionsPage {
  json: Buffer;
  count: number;
  oldestSeq: number | null;
}

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : '');
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** A decision as the API shows it: the venue's ticket as `positionId`, the lifetime, and the record's journal seq. */
export function decisionJson(r: JournalDecision) {
  return {
    seq: r.seq,
    time: iso(r.time),
    positionId: ticketOfKey(r.positionId),
    lifetime: r.positionId,
    symbol: r.symbol,
    rule: r.rule,
    outcome: r.outcome,
    reason: r.reason,
    intentId: r.intentId,
    oldSl: num(r.oldSl),
    newSl: num(r.newSl),
    volume: num(r.volume),
    price: num(r.price),
    dtmsState: r.dtmsState,
    score: num(r.score),
    note: r.note,
  };
}

interface Row {
  seq: number;
  json: string;
}

interface Kept {
  /** The journal's last seq when this page was last brought up to date; null: an older page, which never changes. */
  head: number | null;
  /** A latest page's records one by one (what the next update starts from); none for an older page. */
  rows: Row[];
  page: DecisionsPage;
  /** What it holds, in bytes. */
  bytes: number;
}

export interface JournalPagesOptions {
  /** Pages kept at most, and their total size (bytes). */
  maxPages?: number;
  maxBytes?: number;
  /** The journal's last seq now (default: asked of the store each time). */
  head?: () => number;
}

export class JournalPages {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;
  private readonly maxPages: number;
  private readonly maxBytes: number;
  private readonly head: () => number;

  constructor(
    private readonly store: WardenStore,
    o: JournalPagesOptions = {},
  ) {
    this.maxPages = o.maxPages ?? 512;
    this.maxBytes = o.maxBytes ?? 32 << 20;
    this.head = o.head ?? (() => store.lastDecisionSeq());
  }

  /**
   * The newest `limit` records of `filter` older than `before` (the latest when left out), oldest
   * first. `name` identifies the filter (the same name, the same filter); `filter` is asked only when
   * the journal must be read, and names the positions as they are then (a ticket's lifetimes grow).
   */
  page(name: string, filter: () => JournalFilter, limit: number, before?: number): DecisionsPage {
    const head = this.head();
    // A cursor past the head reads what the latest page reads, which appends will change.
    const fixed = before !== undefined && before <= head + 1;
    const key = fixed ? `${name}|${limit}|<${before}` : `${name}|${limit}|latest`;
    const kept = this.kept.get(key);
    if (kept !== undefined) {
      this.kept.delete(key);
      this.kept.set(key, kept);
      if (kept.head === null || kept.head === head) return kept.page;
      // Records were appended since: read only those (at most `limit`), the oldest kept falling off.
      const fresh = this.store.decisionPage(filter(), { after: kept.head, limit });
      const rows = kept.rows.concat(fresh.map(toRow));
      this.keep(key, head, rows.slice(Math.max(0, rows.length - limit)), kept);
      return this.kept.get(key)!.page;
    }
    const rows = this.store.decisionPage(filter(), fixed ? { before, limit } : { limit }).map(toRow);
    this.keep(key, fixed ? null : head, rows, undefined);
    return this.kept.get(key)!.page;
  }

  private keep(key: string, head: number | null, rows: Row[], previous: Kept | undefined): void {
    // Kept as the bytes sent: encoding the text again on every request would cost more than the rest of it.
    const json = Buffer.from(`[${rows.map((r) => r.json).join(',')}]`);
    const page: DecisionsPage = { json, count: rows.length, oldestSeq: rows[0]?.seq ?? null };
    // A latest page also keeps its records as text (two bytes a character) for its next update.
    const bytes = head === null ? json.length : 3 * json.length;
    if (previous !== undefined) this.bytes -= previous.bytes;
    this.kept.delete(key);
    this.kept.set(key, { head, rows: head === null ? [] : rows, page, bytes });
    this.bytes += bytes;
    // The least recently asked go first (a Map keeps insertion order; an asked page is moved to the end).
    for (const [k, v] of this.kept) {
      if (this.kept.size <= this.maxPages && this.bytes <= this.maxBytes) break;
      if (k === key) continue;
      this.kept.delete(k);
      this.bytes -= v.bytes;
    }
  }
}

const toRow = (r: JournalDecision): Row => ({ seq: r.seq, json: JSON.stringify(decisionJson(r)) });

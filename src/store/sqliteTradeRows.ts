// What is kept of positions after their time in SQLite: each position's lifetimes (a venue ticket
// may hold several positions in turn, one lifetime each), the closed trades made of ended lifetimes,
// and the plan proposals offered to the trader.
import type Database from 'better-sqlite3';
import { closedTradeSchema, decodeRecord, encodeRecord, lifetimeSchema, planProposalSchema } from './records.ts';
import type { ClosedTrade, ClosedTradeQuery, PlanProposal, StoredLifetime } from './store.ts';

/** Statements of the closed_trades table (schema 8), prepared on first use: a store opened with an older schema list (tests of migrations) has no such table. */
function prepareClosedTradeStatements(db: Database.Database) {
  return {
    put: db.prepare(
      'INSERT INTO closed_trades (key, ticket, symbol, close_time, trade) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET ticket = excluded.ticket, symbol = excluded.symbol, close_time = excluded.close_time, trade = excluded.trade',
    ),
    get: db.prepare('SELECT key, trade FROM closed_trades WHERE key = ?'),
    ofTicket: db.prepare(
      'SELECT c.key, c.trade FROM closed_trades c LEFT JOIN lifetimes l ON l.key = c.key WHERE c.ticket = ? ORDER BY coalesce(l.n, 0), c.close_time, c.key',
    ),
    // Newest close first; the cursor is the last row's (close_time, key). Unbounded ends are the safe
    // integers' limits, so each statement is one range of its index: (close_time, key) for every
    // symbol, (symbol, close_time, key) for one; a page reads at most `limit` rows past the cursor.
    pageAll: db.prepare(
      `SELECT key, trade FROM closed_trades WHERE close_time >= @from AND close_time < @to AND (close_time, key) < (@afterTime, @afterKey)
       ORDER BY close_time DESC, key DESC LIMIT @limit`,
    ),
    pageSymbol: db.prepare(
      `SELECT key, trade FROM closed_trades WHERE symbol = @symbol AND close_time >= @from AND close_time < @to AND (close_time, key) < (@afterTime, @afterKey)
       ORDER BY close_time DESC, key DESC LIMIT @limit`,
    ),
    endedWithout: db.prepare(
      'SELECT l.key, l.lifetime FROM lifetimes l WHERE l.ended_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM closed_trades c WHERE c.key = l.key) ORDER BY l.ended_at DESC, l.key DESC LIMIT ?',
    ),
  };
}

/** Statements of the proposals table (schema 9), prepared on first use (as above). */
function prepareProposalStatements(db: Database.Database) {
  return {
    put: db.prepare(
      'INSERT INTO proposals (id, ticket, status, proposal) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ticket = excluded.ticket, status = excluded.status, proposal = excluded.proposal',
    ),
    get: db.prepare('SELECT id, proposal FROM proposals WHERE id = ?'),
    list: db.prepare(
      'SELECT id, proposal FROM proposals WHERE (@status IS NULL OR status = @status) AND (@ticket IS NULL OR ticket = @ticket) ORDER BY seq DESC LIMIT @limit',
    ),
    count: db.prepare('SELECT count(*) AS n FROM proposals'),
  };
}

/** Statements of the lifetimes table (schema 6), prepared on first use (as above). */
function prepareLifetimeStatements(db: Database.Database) {
  return {
    put: db.prepare(
      'INSERT INTO lifetimes (key, ticket, n, ended_at, lifetime) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET ticket = excluded.ticket, n = excluded.n, ended_at = excluded.ended_at, lifetime = excluded.lifetime',
    ),
    get: db.prepare('SELECT key, lifetime FROM lifetimes WHERE key = ?'),
    ofTicket: db.prepare('SELECT key, lifetime FROM lifetimes WHERE ticket = ? ORDER BY n, key'),
    open: db.prepare('SELECT key, lifetime FROM lifetimes WHERE ended_at IS NULL ORDER BY rowid'),
  };
}

/** The lifetimes (schema 6), closed_trades (schema 8) and proposals (schema 9) tables. */
export class SqliteTradeRows {
  private lifetimeStatements: ReturnType<typeof prepareLifetimeStatements> | null = null;
  private closedTradeStatements: ReturnType<typeof prepareClosedTradeStatements> | null = null;
  private proposalStatements: ReturnType<typeof prepareProposalStatements> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly location: string,
  ) {}

  private get lifetimeSt(): ReturnType<typeof prepareLifetimeStatements> {
    return (this.lifetimeStatements ??= prepareLifetimeStatements(this.db));
  }

  private get closedTradeSt(): ReturnType<typeof prepareClosedTradeStatements> {
    return (this.closedTradeStatements ??= prepareClosedTradeStatements(this.db));
  }

  private get proposalSt(): ReturnType<typeof prepareProposalStatements> {
    return (this.proposalStatements ??= prepareProposalStatements(this.db));
  }

  // ---- lifetimes

  saveLifetime(l: StoredLifetime): void {
    this.lifetimeSt.put.run(l.key, l.ticket, l.n, l.endedAt, encodeRecord(l));
  }

  lifetime(key: string): StoredLifetime | null {
    const row = this.lifetimeSt.get.get(key) as { key: string; lifetime: string } | undefined;
    return row === undefined ? null : decodeRecord(lifetimeSchema, row.lifetime, this.location, 'lifetimes', row.key);
  }

  lifetimesOf(ticket: string): StoredLifetime[] {
    return this.decodeLifetimes(this.lifetimeSt.ofTicket.all(ticket) as { key: string; lifetime: string }[]);
  }

  openLifetimes(): StoredLifetime[] {
    return this.decodeLifetimes(this.lifetimeSt.open.all() as { key: string; lifetime: string }[]);
  }

  // ---- closed trades

  saveClosedTrade(t: ClosedTrade): void {
    this.closedTradeSt.put.run(t.key, t.ticket, t.symbol, t.closeTime, encodeRecord(t));
  }

  closedTrade(key: string): ClosedTrade | null {
    const row = this.closedTradeSt.get.get(key) as { key: string; trade: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(closedTradeSchema, row.trade, this.location, 'closed_trades', row.key);
  }

  closedTradesOf(ticket: string): ClosedTrade[] {
    return this.decodeTrades(this.closedTradeSt.ofTicket.all(ticket) as { key: string; trade: string }[]);
  }

  closedTradePage(q: ClosedTradeQuery): ClosedTrade[] {
    const limit = Math.max(0, Math.floor(q.limit));
    if (limit === 0) return [];
    const args = {
      from: q.from ?? Number.MIN_SAFE_INTEGER,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      afterTime: q.after?.closeTime ?? Number.MAX_SAFE_INTEGER,
      afterKey: q.after?.key ?? '',
      limit,
    };
    const rows = (
      q.symbol === undefined
        ? this.closedTradeSt.pageAll.all(args)
        : this.closedTradeSt.pageSymbol.all({ ...args, symbol: q.symbol })
    ) as { key: string; trade: string }[];
    return this.decodeTrades(rows);
  }

  endedWithoutClosedTrade(limit: number): StoredLifetime[] {
    return this.decodeLifetimes(
      this.closedTradeSt.endedWithout.all(Math.max(0, Math.floor(limit))) as { key: string; lifetime: string }[],
    );
  }

  private decodeLifetimes(rows: { key: string; lifetime: string }[]): StoredLifetime[] {
    return rows.map((r) => decodeRecord(lifetimeSchema, r.lifetime, this.location, 'lifetimes', r.key));
  }

  private decodeTrades(rows: { key: string; trade: string }[]): ClosedTrade[] {
    return rows.map((r) => decodeRecord(closedTradeSchema, r.trade, this.location, 'closed_trades', r.key));
  }

  // ---- plan proposals

  saveProposal(p: PlanProposal): void {
    this.proposalSt.put.run(p.id, p.ticket, p.status, encodeRecord(p));
  }

  proposal(id: string): PlanProposal | null {
    const row = this.proposalSt.get.get(id) as { id: string; proposal: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(planProposalSchema, row.proposal, this.location, 'proposals', row.id);
  }

  proposals(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): PlanProposal[] {
    const rows = this.proposalSt.list.all({
      status: q.status ?? null,
      ticket: q.ticket ?? null,
      limit: Math.max(0, Math.floor(q.limit)),
    }) as { id: string; proposal: string }[];
    return rows.map((r) => decodeRecord(planProposalSchema, r.proposal, this.location, 'proposals', r.id));
  }

  proposalCount(): number {
    return (this.proposalSt.count.get() as { n: number }).n;
  }
}

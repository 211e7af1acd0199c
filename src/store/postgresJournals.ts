// The decision and intent journals in PostgreSQL, one account's rows: the same reads and refusals as
// the SQLite journals (rows decoded by storeRows.ts), in PostgreSQL's SQL. An intent is journaled
// only while the account's lease is this store's (the fencing token): a process that lost its lease
// (paused, partitioned, taken over) cannot journal, so cannot send, another request.
import type { Intent } from '../domain/types.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { PostgresConnection, SqlParam } from './postgresConnection.ts';
import { decisionRecordSchema, decodeRecord, encodeRecord } from './records.ts';
import {
  StoreError,
  type IntentAnswer,
  type IntentCount,
  type IntentFill,
  type IntentFilter,
  type IntentStatus,
  type JournalDecision,
  type JournalFilter,
  type JournalRange,
  type StoredIntent,
} from './store.ts';
import {
  answerChanges,
  decodeIntentCount,
  duplicateIntent,
  decodeIntentRow,
  decodeJournalRow,
  INTENT_COLUMNS,
  type IntentRow,
  type JournalRow,
} from './storeRows.ts';

/** A journal page's columns: the row's own, and the other listed fields as one JSON array (JournalRow's order). */
const JOURNAL_COLUMNS = `seq, time, position_id, rule, outcome, reason,
  json_build_array(r->'symbol', r->'intentId', r->'oldSl', r->'newSl', r->'volume', r->'price', r->'dtmsState', r->'score', r->'note')::text AS fields`;

/** SQLSTATE of a text that is not valid JSON (a record damaged by hand). */
const INVALID_JSON = '22P02';

/** No limit: a negative one, as the SQLite store reads it (LIMIT NULL is no limit). */
const limitOf = (limit: number): number | null => (limit < 0 ? null : Math.floor(limit));

export class PostgresJournals {
  constructor(
    private readonly conn: PostgresConnection,
    private readonly location: string,
    private readonly account: string,
    /** The lease token this store journals under; null: the account has no lease (then none may exist). */
    private readonly leaseToken: () => number | null,
  ) {}

  private rows<T>(sql: string, params: readonly SqlParam[] = []): T[] {
    return this.conn.rows<T>(sql, [this.account, ...params]);
  }

  // ---- decisions

  appendDecision(r: DecisionRecord): void {
    this.rows(
      'INSERT INTO decisions (account, time, position_id, rule, outcome, reason, record) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [r.time, r.positionId, r.rule, r.outcome, r.reason, encodeRecord(r)],
    );
  }

  appendDecisions(records: readonly DecisionRecord[]): void {
    if (records.length === 0) return;
    // One statement, the records as one JSON array, inserted in their order (seq follows it).
    this.rows(
      `INSERT INTO decisions (account, time, position_id, rule, outcome, reason, record)
       SELECT $1, (x->>0)::bigint, x->>1, x->>2, x->>3, x->>4, x->>5
       FROM json_array_elements($2::json) WITH ORDINALITY AS t(x, n) ORDER BY n`,
      [JSON.stringify(records.map((r) => [r.time, r.positionId, r.rule, r.outcome, r.reason, encodeRecord(r)]))],
    );
  }

  decisionsFor(positionId: string, limit = -1): DecisionRecord[] {
    return this.decodeDecisions(
      this.rows(
        'SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE account = $1 AND position_id = $2 ORDER BY seq DESC LIMIT $3) d ORDER BY seq',
        [positionId, limitOf(limit)],
      ),
    );
  }

  decisionsOf(positionIds: readonly string[], limit = -1): DecisionRecord[] {
    return this.decodeDecisions(
      this.rows(
        `SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE account = $1
           AND position_id IN (SELECT json_array_elements_text($2::json)) ORDER BY seq DESC LIMIT $3) d ORDER BY seq`,
        [JSON.stringify(positionIds), limitOf(limit)],
      ),
    );
  }

  recentDecisions(limit: number): DecisionRecord[] {
    return this.decodeDecisions(
      this.rows(
        'SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE account = $1 ORDER BY seq DESC LIMIT $2) d ORDER BY seq',
        [limitOf(limit)],
      ),
    );
  }

  decisionCount(): number {
    return this.rows<{ n: number }>('SELECT count(*) AS n FROM decisions WHERE account = $1')[0]!.n;
  }

  lastDecisionSeq(): number {
    return this.rows<{ seq: number | null }>('SELECT max(seq) AS seq FROM decisions WHERE account = $1')[0]!.seq ?? 0;
  }

  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[] {
    const limit = Math.max(0, Math.floor(range.limit));
    if (limit === 0) return [];
    const after = range.after ?? 0;
    const before = range.before ?? Number.MAX_SAFE_INTEGER;
    const page = (where: string, params: readonly SqlParam[]) =>
      this.readJournal(() =>
        this.rows<JournalRow>(
          `SELECT ${JOURNAL_COLUMNS} FROM (SELECT *, record::json AS r FROM decisions
             WHERE account = $1 ${where} AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4) d ORDER BY seq DESC`,
          [after, before, limit, ...params],
        ),
      );
    let rows: JournalRow[];
    if (filter === null) rows = page('', []);
    else if ('rule' in filter) rows = page('AND rule = $5', [filter.rule]);
    else {
      // One index range per position (each at most `limit` rows), newest first; then the newest
      // `limit` of them together, as the SQLite store reads them.
      rows = [];
      for (const id of new Set(filter.positionIds)) rows.push(...page('AND position_id = $5', [id]));
      rows.sort((a, b) => b.seq - a.seq);
      rows.splice(limit);
    }
    const out: JournalDecision[] = [];
    for (let i = rows.length - 1; i >= 0; i--) out.push(decodeJournalRow(rows[i]!, this.location));
    return out;
  }

  /** A record PostgreSQL cannot read as JSON is reported like every invalid row. */
  private readJournal<T>(read: () => T): T {
    try {
      return this.conn.transaction(read);
    } catch (err) {
      if (this.conn.lastSqlState() === INVALID_JSON) {
        throw new StoreError(
          'invalid_row',
          this.location,
          `${this.location}: a decisions row is not valid: its record is not valid JSON (${err instanceof Error ? err.message.trim() : String(err)})`,
        );
      }
      throw err;
    }
  }

  private decodeDecisions(rows: { seq: number; record: string }[]): DecisionRecord[] {
    return rows.map((r) => decodeRecord(decisionRecordSchema, r.record, this.location, 'decisions', `seq ${r.seq}`));
  }

  // ---- intents

  recordIntent(intent: Intent, at: number = intent.time): void {
    const token = this.leaseToken();
    this.conn.transaction(() => {
      // The lease row is read under a share lock: a takeover (which updates it) waits for this
      // transaction, so an intent journaled here was journaled under a lease that was still ours.
      const lease = this.rows<{ token: number; holder: string; expires_at: number }>(
        'SELECT token, holder, expires_at FROM leases WHERE account = $1 FOR SHARE',
      )[0];
      if (lease !== undefined && lease.token !== token) {
        throw new StoreError(
          'lease_lost',
          this.location,
          `intent ${intent.id} refused: account ${this.account} is now held by ${lease.holder} (lease token ${lease.token}${token === null ? ', this session holds none' : `, this session's was ${token}`}); a session that lost its lease sends nothing more`,
        );
      }
      const added = this.rows(
        `INSERT INTO intents (account, id, position_id, status, recorded_at, lease_token, intent) VALUES ($1, $2, $3, 'pending', $4, $5, $6)
         ON CONFLICT (account, id) DO NOTHING RETURNING seq`,
        [intent.id, intent.positionId, at, token, encodeRecord(intent)],
      );
      if (added.length === 0) {
        const prior = this.rows<{ status: string }>('SELECT status FROM intents WHERE account = $1 AND id = $2', [
          intent.id,
        ])[0];
        throw duplicateIntent(this.location, intent.id, prior?.status);
      }
    });
  }

  markIntent(
    id: string,
    status: IntentAnswer,
    code: string | null,
    reason: string,
    at: number,
    fill?: number,
  ): boolean {
    return this.conn.transaction(() => {
      const row = this.rows<{ status: IntentStatus; position_id: string }>(
        'SELECT status, position_id FROM intents WHERE account = $1 AND id = $2 FOR UPDATE',
        [id],
      )[0];
      if (!answerChanges(this.location, id, row?.status, status)) return false;
      this.rows(
        'UPDATE intents SET status = $3, code = $4, reason = $5, resolved_at = $6 WHERE account = $1 AND id = $2',
        [id, status, code, reason, at],
      );
      if (status === 'applied' && fill !== undefined && Number.isFinite(fill)) {
        this.rows(
          `INSERT INTO intent_fills (account, intent_id, position_id, price, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (account, intent_id) DO UPDATE SET price = excluded.price, at = excluded.at`,
          [id, row!.position_id, fill, at],
        );
      }
      return true;
    });
  }

  fillsOf(positionId: string): IntentFill[] {
    const rows = this.rows<{ intent_id: string; price: unknown; at: unknown }>(
      `SELECT f.intent_id, f.price, f.at FROM intent_fills f JOIN intents i ON i.account = f.account AND i.id = f.intent_id
       WHERE f.account = $1 AND f.position_id = $2 ORDER BY i.seq`,
      [positionId],
    );
    return rows.map((r) => {
      if (typeof r.price !== 'number' || typeof r.at !== 'number')
        throw new StoreError(
          'invalid_row',
          this.location,
          `${this.location}: intent_fills row ${r.intent_id} is not valid: price ${String(r.price)}, at ${String(r.at)}`,
        );
      return { intentId: r.intent_id, price: r.price, at: r.at };
    });
  }

  intent(id: string): StoredIntent | null {
    const row = this.rows<IntentRow>(`SELECT ${INTENT_COLUMNS} FROM intents WHERE account = $1 AND id = $2`, [id])[0];
    return row === undefined ? null : decodeIntentRow(row, this.location);
  }

  unresolvedIntents(): StoredIntent[] {
    return this.decodeIntents(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE account = $1 AND status IN ('pending', 'unknown') ORDER BY seq`,
      [],
    );
  }

  intentsFor(positionId: string, only: IntentFilter = {}): StoredIntent[] {
    return this.decodeIntents(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE account = $1 AND position_id = $2
         AND ($3::text IS NULL OR (intent::json)->>'rule' = $3) AND ($4::text IS NULL OR (intent::json)->>'kind' = $4)
         AND ($5::text IS NULL OR status = $5)
       ORDER BY seq`,
      [positionId, only.rule ?? null, only.kind ?? null, only.status ?? null],
    );
  }

  intentsSince(at: number): StoredIntent[] {
    return this.decodeIntents(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE account = $1 AND recorded_at >= $2 ORDER BY seq`,
      [at],
    );
  }

  intentCounts(at: number, symbol?: string): IntentCount[] {
    const rows = this.rows<unknown>(
      // Ordered as SQLite orders them: bytes, an absent rule or action (NULL) first.
      `SELECT status, rule, action, n FROM (
         SELECT status, (intent::json)->>'rule' AS rule, (intent::json)->>'action' AS action, count(*) AS n FROM intents
         WHERE account = $1 AND recorded_at >= $2 AND ($3::text IS NULL OR (intent::json)->>'symbol' = $3)
         GROUP BY 1, 2, 3) c
       ORDER BY status, rule COLLATE "C" NULLS FIRST, action COLLATE "C" NULLS FIRST`,
      [at, symbol ?? null],
    );
    return rows.map((row) => decodeIntentCount(row, this.location));
  }

  private decodeIntents(sql: string, params: readonly SqlParam[]): StoredIntent[] {
    return this.rows<IntentRow>(sql, params).map((r) => decodeIntentRow(r, this.location));
  }
}

// The intent journal in SQLite: an intent is recorded `pending` before it is sent, under an id that
// is unique (never sent twice), then marked with the venue's final answer once, with its fill price
// when it had one. Filters and counts run in SQLite, so only the intents asked for are decoded.
import type Database from 'better-sqlite3';
import type { Intent } from '../domain/types.ts';
import { encodeRecord } from './records.ts';
import {
  StoreError,
  type IntentAnswer,
  type IntentCount,
  type IntentFill,
  type IntentFilter,
  type IntentStatus,
  type StoredIntent,
} from './store.ts';
import { sqliteCode } from './sqliteFile.ts';
import {
  answerChanges,
  decodeIntentCount,
  decodeIntentRow,
  duplicateIntent,
  INTENT_COLUMNS,
  type IntentRow,
} from './storeRows.ts';

function prepareIntentStatements(db: Database.Database) {
  return {
    intentAdd: db.prepare(
      "INSERT INTO intents (id, position_id, status, recorded_at, intent) VALUES (?, ?, 'pending', ?, ?)",
    ),
    intentStatus: db.prepare('SELECT status FROM intents WHERE id = ?'),
    intentMark: db.prepare('UPDATE intents SET status = ?, code = ?, reason = ?, resolved_at = ? WHERE id = ?'),
    intentPosition: db.prepare('SELECT position_id FROM intents WHERE id = ?'),
    intentGet: db.prepare(`SELECT ${INTENT_COLUMNS} FROM intents WHERE id = ?`),
    intentsUnresolved: db.prepare(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE status IN ('pending', 'unknown') ORDER BY seq`,
    ),
    intentsFor: db.prepare(
      `SELECT ${INTENT_COLUMNS} FROM intents WHERE position_id = @positionId
         AND (@rule IS NULL OR json_extract(intent, '$.rule') = @rule) AND (@kind IS NULL OR json_extract(intent, '$.kind') = @kind) AND (@status IS NULL OR status = @status)
       ORDER BY seq`,
    ),
    // Journal order follows time, so the newest rows are scanned from the end of seq.
    intentsSince: db.prepare(`SELECT ${INTENT_COLUMNS} FROM intents WHERE recorded_at >= ? ORDER BY seq`),
    // The window is an index range on recorded_at (schema 7); only its rows are read, in SQLite.
    intentCounts: db.prepare(
      `SELECT status, json_extract(intent, '$.rule') AS rule, json_extract(intent, '$.action') AS action, count(*) AS n FROM intents
       WHERE recorded_at >= @at AND (@symbol IS NULL OR json_extract(intent, '$.symbol') = @symbol)
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ),
  };
}

/** Statements of the intent_fills table (schema 8), prepared on first use: a store opened with an older schema list (tests of migrations) has no such table. */
function prepareFillStatements(db: Database.Database) {
  return {
    fillPut: db.prepare(
      'INSERT INTO intent_fills (intent_id, position_id, price, at) VALUES (?, ?, ?, ?) ON CONFLICT (intent_id) DO UPDATE SET price = excluded.price, at = excluded.at',
    ),
    fillsOf: db.prepare(
      'SELECT f.intent_id, f.price, f.at FROM intent_fills f JOIN intents i ON i.id = f.intent_id WHERE f.position_id = ? ORDER BY i.seq',
    ),
  };
}

/** The intents table (schema 1: prepared at open) and intent_fills (schema 8). */
export class SqliteIntentJournal {
  private readonly st: ReturnType<typeof prepareIntentStatements>;
  private fillStatements: ReturnType<typeof prepareFillStatements> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly location: string,
  ) {
    this.st = prepareIntentStatements(db);
  }

  private get fills(): ReturnType<typeof prepareFillStatements> {
    return (this.fillStatements ??= prepareFillStatements(this.db));
  }

  recordIntent(intent: Intent, at: number = intent.time): void {
    try {
      this.st.intentAdd.run(intent.id, intent.positionId, at, encodeRecord(intent));
    } catch (err) {
      if (sqliteCode(err) !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      const prior = this.st.intentStatus.get(intent.id) as { status: string } | undefined;
      throw duplicateIntent(this.location, intent.id, prior?.status);
    }
  }

  markIntent(
    id: string,
    status: IntentAnswer,
    code: string | null,
    reason: string,
    at: number,
    fill?: number,
  ): boolean {
    return this.db.transaction(() => {
      const row = this.st.intentStatus.get(id) as { status: IntentStatus } | undefined;
      if (!answerChanges(this.location, id, row?.status, status)) return false;
      this.st.intentMark.run(status, code, reason, at, id);
      if (status === 'applied' && fill !== undefined && Number.isFinite(fill)) {
        const positionId = (this.st.intentPosition.get(id) as { position_id: string }).position_id;
        this.fills.fillPut.run(id, positionId, fill, at);
      }
      return true;
    })();
  }

  fillsOf(positionId: string): IntentFill[] {
    const rows = this.fills.fillsOf.all(positionId) as { intent_id: string; price: unknown; at: unknown }[];
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
    const row = this.st.intentGet.get(id) as IntentRow | undefined;
    return row === undefined ? null : decodeIntentRow(row, this.location);
  }

  unresolvedIntents(): StoredIntent[] {
    return (this.st.intentsUnresolved.all() as IntentRow[]).map((r) => decodeIntentRow(r, this.location));
  }

  intentsFor(positionId: string, only: IntentFilter = {}): StoredIntent[] {
    // The filter runs in SQLite, so only the intents asked for are decoded (a long-lived position has
    // hundreds of trailing moves beside a few DTMS actions).
    const rows = this.st.intentsFor.all({
      positionId,
      rule: only.rule ?? null,
      kind: only.kind ?? null,
      status: only.status ?? null,
    }) as IntentRow[];
    return rows.map((r) => decodeIntentRow(r, this.location));
  }

  intentsSince(at: number): StoredIntent[] {
    return (this.st.intentsSince.all(at) as IntentRow[]).map((r) => decodeIntentRow(r, this.location));
  }

  intentCounts(at: number, symbol?: string): IntentCount[] {
    const rows = this.st.intentCounts.all({ at, symbol: symbol ?? null }) as unknown[];
    return rows.map((row) => decodeIntentCount(row, this.location));
  }
}

// The decision journal in SQLite: append-only, `seq` gives the order. Pages of it are index ranges
// read newest first (seq, (position_id, seq), (rule, seq)), each no further than the page's limit;
// the listed fields of a page's rows are extracted by SQLite from the record in one pass.
import type Database from 'better-sqlite3';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import { decisionRecordSchema, decodeRecord, encodeRecord } from './records.ts';
import { StoreError, type JournalDecision, type JournalFilter, type JournalRange } from './store.ts';
import { messageOf, sqliteCode } from './sqliteFile.ts';
import { decodeJournalRow, type JournalRow } from './storeRows.ts';

/** What a journal page reads of a decision: its columns, and the other listed fields in one json_extract (in JournalRow's order). */
const JOURNAL_COLUMNS = `seq, time, position_id, rule, outcome, reason,
  json_extract(record, '$.symbol', '$.intentId', '$.oldSl', '$.newSl', '$.volume', '$.price', '$.dtmsState', '$.score', '$.note') AS fields`;

function prepareDecisionStatements(db: Database.Database) {
  return {
    decisionAdd: db.prepare(
      'INSERT INTO decisions (time, position_id, rule, outcome, reason, record) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    decisionsFor: db.prepare(
      'SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE position_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    ),
    decisionsOf: db.prepare(
      'SELECT seq, record FROM (SELECT seq, record FROM decisions WHERE position_id IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    ),
    decisionsRecent: db.prepare(
      'SELECT seq, record FROM (SELECT seq, record FROM decisions ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    ),
    decisionCount: db.prepare('SELECT count(*) AS n FROM decisions'),
    decisionLast: db.prepare('SELECT max(seq) AS seq FROM decisions'),
    // Pages of the journal, newest first, each an index range read no further than `limit` rows: seq
    // (the primary key), (position_id, seq) and (rule, seq) (schema 7).
    journalAll: db.prepare(
      `SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    journalOfPosition: db.prepare(
      `SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE position_id = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    journalOfRule: db.prepare(
      `SELECT ${JOURNAL_COLUMNS} FROM decisions WHERE rule = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
  };
}

/** The decisions table (schema 1, its page indexes schema 7: prepared at open). */
export class SqliteDecisionJournal {
  private readonly st: ReturnType<typeof prepareDecisionStatements>;

  constructor(
    db: Database.Database,
    private readonly location: string,
  ) {
    this.st = prepareDecisionStatements(db);
  }

  appendDecision(r: DecisionRecord): void {
    this.st.decisionAdd.run(r.time, r.positionId, r.rule, r.outcome, r.reason, encodeRecord(r));
  }

  decisionsFor(positionId: string, limit = -1): DecisionRecord[] {
    return this.decodeDecisions(this.st.decisionsFor.all(positionId, limit) as { seq: number; record: string }[]);
  }

  decisionsOf(positionIds: readonly string[], limit = -1): DecisionRecord[] {
    return this.decodeDecisions(
      this.st.decisionsOf.all(JSON.stringify(positionIds), limit) as { seq: number; record: string }[],
    );
  }

  recentDecisions(limit: number): DecisionRecord[] {
    return this.decodeDecisions(this.st.decisionsRecent.all(limit) as { seq: number; record: string }[]);
  }

  decisionCount(): number {
    return (this.st.decisionCount.get() as { n: number }).n;
  }

  lastDecisionSeq(): number {
    return (this.st.decisionLast.get() as { seq: number | null }).seq ?? 0;
  }

  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[] {
    const limit = Math.max(0, Math.floor(range.limit));
    if (limit === 0) return [];
    const after = range.after ?? 0;
    const before = range.before ?? Number.MAX_SAFE_INTEGER;
    const rows: JournalRow[] = [];
    this.readJournal(() => {
      if (filter === null) rows.push(...(this.st.journalAll.all(after, before, limit) as JournalRow[]));
      else if ('rule' in filter)
        rows.push(...(this.st.journalOfRule.all(filter.rule, after, before, limit) as JournalRow[]));
      else {
        // One index range per position (each reads at most `limit` rows), newest first; then the newest
        // `limit` of them together. A ticket has a few lifetimes, so this is a few short reads.
        for (const id of new Set(filter.positionIds))
          rows.push(...(this.st.journalOfPosition.all(id, after, before, limit) as JournalRow[]));
        rows.sort((a, b) => b.seq - a.seq);
        rows.splice(limit);
      }
    });
    const out: JournalDecision[] = [];
    for (let i = rows.length - 1; i >= 0; i--) out.push(decodeJournalRow(rows[i]!, this.location));
    return out;
  }

  /** Runs a journal read; a record SQLite cannot read as JSON is reported like every invalid row. */
  private readJournal(read: () => void): void {
    try {
      read();
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_ERROR' && /malformed JSON/i.test(messageOf(err))) {
        throw new StoreError(
          'invalid_row',
          this.location,
          `${this.location}: a decisions row is not valid: its record is not valid JSON (${messageOf(err)})`,
        );
      }
      throw err;
    }
  }

  private decodeDecisions(rows: { seq: number; record: string }[]): DecisionRecord[] {
    return rows.map((r) => decodeRecord(decisionRecordSchema, r.record, this.location, 'decisions', `seq ${r.seq}`));
  }
}

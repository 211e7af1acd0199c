// What a live session keeps in SQLite to restart from: the positions as the engine last held them
// (in the engine's order), and one row per kind of session-wide state under a fixed key: the engine's
// state, the last health report, the paper account, the shadow book, and the session that owns the
// store.
import type Database from 'better-sqlite3';
import type { Position } from '../domain/types.ts';
import type { HealthReport } from '../domain/health.ts';
import type { ShadowBookSnapshot } from '../domain/shadowBookSnapshot.ts';
import { decodeRecord, encodeRecord } from './recordCodec.ts';
import {
  healthReportSchema,
  paperAccountSchema,
  positionSchema,
  sessionOwnerSchema,
  sessionStateSchema,
  shadowBookSchema,
} from './sessionRecords.ts';
import type { SessionOwner, StoredPaperAccount, StoredPosition, StoredSessionState } from './store.ts';

/** Statements of the positions and session_state tables (schema 3), prepared on first use: a store opened with an older schema list (tests of migrations) has no such tables. */
function prepareSessionStatements(db: Database.Database) {
  return {
    positionPut: db.prepare(
      'INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, ord = excluded.ord, position = excluded.position',
    ),
    positionAll: db.prepare('SELECT position_id, ord, position FROM positions ORDER BY ord, position_id'),
    positionDelete: db.prepare('DELETE FROM positions WHERE position_id = ?'),
    statePut: db.prepare(
      'INSERT INTO session_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    stateGet: db.prepare('SELECT value FROM session_state WHERE key = ?'),
    stateDelete: db.prepare('DELETE FROM session_state WHERE key = ?'),
  };
}

export class SqliteSessionRows {
  private statements: ReturnType<typeof prepareSessionStatements> | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly location: string,
  ) {}

  private get st(): ReturnType<typeof prepareSessionStatements> {
    return (this.statements ??= prepareSessionStatements(this.db));
  }

  savePosition(position: Position, order: number): void {
    this.st.positionPut.run(position.id, position.symbol, order, encodeRecord(position));
  }

  positions(): StoredPosition[] {
    const rows = this.st.positionAll.all() as { position_id: string; ord: number; position: string }[];
    return rows.map((r) => ({
      position: decodeRecord(positionSchema, r.position, this.location, 'positions', r.position_id),
      order: r.ord,
    }));
  }

  deletePosition(positionId: string): boolean {
    return this.st.positionDelete.run(positionId).changes > 0;
  }

  saveSessionState(state: StoredSessionState): void {
    this.st.statePut.run('engine', encodeRecord(state));
  }

  sessionState(): StoredSessionState | null {
    const row = this.st.stateGet.get('engine') as { value: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(sessionStateSchema, row.value, this.location, 'session_state', 'engine');
  }

  saveHealth(report: HealthReport): void {
    this.st.statePut.run('health', encodeRecord(report));
  }

  health(): HealthReport | null {
    const row = this.st.stateGet.get('health') as { value: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(healthReportSchema, row.value, this.location, 'session_state', 'health');
  }

  savePaperAccount(state: StoredPaperAccount): void {
    this.st.statePut.run('paper', encodeRecord(state));
  }

  paperAccount(): StoredPaperAccount | null {
    const row = this.st.stateGet.get('paper') as { value: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(paperAccountSchema, row.value, this.location, 'session_state', 'paper');
  }

  saveShadowBook(book: ShadowBookSnapshot): void {
    this.st.statePut.run('shadow', encodeRecord(book));
  }

  shadowBook(): ShadowBookSnapshot | null {
    const row = this.st.stateGet.get('shadow') as { value: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(shadowBookSchema, row.value, this.location, 'session_state', 'shadow');
  }

  saveSessionOwner(owner: SessionOwner | null): void {
    if (owner === null) this.st.stateDelete.run('owner');
    else this.st.statePut.run('owner', encodeRecord(owner));
  }

  sessionOwner(): SessionOwner | null {
    const row = this.st.stateGet.get('owner') as { value: string } | undefined;
    return row === undefined
      ? null
      : decodeRecord(sessionOwnerSchema, row.value, this.location, 'session_state', 'owner');
  }
}

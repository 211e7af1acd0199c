// The embedded store: one SQLite file through better-sqlite3 (WAL), schema migrations from
// sqliteMigrations.ts applied at open, every JSON column validated on read (records.ts, storeRows.ts).
//
// Opening never harms a file that is not a healthy Warden store: the file is looked at before SQLite
// opens it for writing (sqliteFile.ts: missing, not SQLite, foreign, not writable), then read-only for
// its schema version and integrity (sqliteDamage.ts: newer, damaged); a new store is built complete
// beside its path and put in place (sqliteCreate.ts). Only a store that passes is opened for writing
// and migrated, here.
//
// The tables are read and written by one repository per aggregate, each with its own statements:
// plans, DTMS state and legacy rules (sqlitePlanRows.ts), the decision journal
// (sqliteDecisionJournal.ts), the intent journal and fills (sqliteIntentJournal.ts), the live
// session's positions and state (sqliteSessionRows.ts), lifetimes, closed trades and proposals
// (sqliteTradeRows.ts), replay checkpoints (sqliteCheckpoints.ts). SqliteStore is the one WardenStore
// over them, sharing one connection, so every write of a transaction is in the same transaction.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Intent, Position } from '../domain/types.ts';
import type { HealthReport } from '../domain/health.ts';
import type { ShadowBookSnapshot } from '../domain/shadowBookSnapshot.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { applyMigrations, createStore } from './sqliteCreate.ts';
import { inspect } from './sqliteDamage.ts';
import {
  BUSY_TIMEOUT_MS,
  checkHeader,
  checkWritable,
  fileSize,
  ioError,
  openReader,
  removeSideFiles,
  UNTOUCHED,
} from './sqliteFile.ts';
import { MIGRATIONS, type Migration } from './sqliteMigrations.ts';
import { SqliteCheckpoints } from './sqliteCheckpoints.ts';
import { SqliteDecisionJournal } from './sqliteDecisionJournal.ts';
import { SqliteIntentJournal } from './sqliteIntentJournal.ts';
import { SqlitePlanRows } from './sqlitePlanRows.ts';
import { SqliteSessionRows } from './sqliteSessionRows.ts';
import { SqliteTradeRows } from './sqliteTradeRows.ts';
import {
  StoreError,
  type ClosedTrade,
  type ClosedTradeQuery,
  type IntentAnswer,
  type IntentCount,
  type IntentFill,
  type IntentFilter,
  type JournalDecision,
  type JournalFilter,
  type JournalRange,
  type ManagedPositionRow,
  type PlanProposal,
  type ReplayCheckpointPart,
  type ReplayCheckpointRecord,
  type SessionOwner,
  type StoredDefence,
  type StoredIntent,
  type StoredLegacyRule,
  type StoredLifetime,
  type StoredPaperAccount,
  type StoredPosition,
  type StoredReplayCheckpoint,
  type StoredSessionState,
  type StoreMeta,
  type WardenStore,
} from './store.ts';

export { WARDEN_APPLICATION_ID } from './sqliteFile.ts';

export interface OpenSqliteStoreOptions {
  /** The caller's clock (epoch ms): a new store's created_at, and the name of a corrupt file's copy. */
  now: number;
  /** Written into a new store's meta, e.g. `warden 0.1.0`. */
  createdBy?: string;
  /** Open for reading only: nothing is created, migrated or written (a missing file is an 'io' error). */
  readonly?: boolean;
  /**
   * `normal` (default): commits survive the process being killed; the last ones may be lost (never
   * half-applied) if the machine itself crashes. `full`: every commit is fsync'ed (survives power
   * loss) at about a millisecond per commit. See the comment at the pragma below.
   */
  durability?: 'normal' | 'full';
  /** The schema (tests pass their own list to exercise migrations); default MIGRATIONS. */
  migrations?: readonly Migration[];
}

/** Opens (or creates) the store in `file`; refuses, with a StoreError, anything that is not a healthy Warden store. */
export function openSqliteStore(file: string, options: OpenSqliteStoreOptions): SqliteStore {
  const migrations = options.migrations ?? MIGRATIONS;
  const readonly = options.readonly === true;
  const size = fileSize(file);
  if (size === null || size === 0) {
    if (readonly)
      throw new StoreError(
        'io',
        file,
        `${file}: no store there (${size === null ? 'the file does not exist' : 'the file is empty'})`,
      );
    checkWritable(file, size === 0);
    createStore(file, size === 0, options, migrations);
  } else {
    checkHeader(file);
    if (!readonly) checkWritable(file, true);
  }
  inspect(file, migrations.length, options.now, readonly);
  return new SqliteStore(file, readonly, options.durability ?? 'normal', migrations);
}

export class SqliteStore implements WardenStore {
  readonly location: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private closed = false;
  /** Read-only: whether the -wal and -shm existed before (those the connection creates are removed at close). */
  private readonly sideFiles: { wal: boolean; shm: boolean } | null;

  // The repositories: better-sqlite3 statements are reusable and synchronous, each prepared once.
  // Those of tables added after schema 1 are prepared on first use (a store opened with an older
  // schema list, in tests of migrations, has no such tables).
  private readonly metaRows: Database.Statement;
  private readonly planRows: SqlitePlanRows;
  private readonly decisionJournal: SqliteDecisionJournal;
  private readonly intentJournal: SqliteIntentJournal;
  private readonly sessionRows: SqliteSessionRows;
  private readonly tradeRows: SqliteTradeRows;
  private readonly checkpoints: SqliteCheckpoints;

  /** Use `openSqliteStore` (it checks the file first). */
  constructor(file: string, readonly: boolean, durability: 'normal' | 'full', migrations: readonly Migration[]) {
    this.location = file;
    this.readonly = readonly;
    const had = { wal: existsSync(`${file}-wal`), shm: existsSync(`${file}-shm`) };
    this.sideFiles = readonly ? had : null;
    try {
      this.db = readonly
        ? openReader(file, BUSY_TIMEOUT_MS)
        : new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      removeSideFiles(file, had.wal, had.shm);
      throw ioError(file, err);
    }
    try {
      if (!readonly) {
        // SQLite opens a file it cannot write read-only without a word; the first write would fail.
        if (this.db.readonly)
          throw new StoreError(
            'io',
            file,
            `${file}: cannot open the store for writing: SQLite opened it read-only; check the modes of the file, its directory, and any ${file}-wal or ${file}-shm beside it (chmod u+w); nothing was changed`,
          );
        // WAL: readers never block the writer, and a commit appends to the -wal file instead of
        // rewriting pages in place, so a process killed mid-commit leaves the last commit simply absent.
        const mode = this.db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal')
          throw new Error(`the file system does not support WAL (journal_mode stays ${String(mode)})`);
        // synchronous=NORMAL in WAL mode: a commit is written to the -wal before it returns (so a killed
        // process, Warden's crash case, loses nothing committed) but fsync'ed only at checkpoints. An
        // OS crash or power loss may lose the last commits, never corrupt the file. FULL would fsync every
        // commit (about a millisecond each), which the replay's per-bar transactions cannot afford; a
        // live executor that must survive power loss between journaling and sending opens with 'full'.
        this.db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
      }
      this.migrate(migrations);
      this.metaRows = this.db.prepare('SELECT key, value FROM meta');
      this.planRows = new SqlitePlanRows(this.db, file);
      this.decisionJournal = new SqliteDecisionJournal(this.db, file);
      this.intentJournal = new SqliteIntentJournal(this.db, file);
      this.sessionRows = new SqliteSessionRows(this.db, file);
      this.tradeRows = new SqliteTradeRows(this.db, file);
      this.checkpoints = new SqliteCheckpoints(this.db, file);
    } catch (err) {
      // A failed open leaves no new file behind (a -shm made with a read-only file's mode would keep
      // failing every later open).
      this.db.close();
      removeSideFiles(file, had.wal, had.shm);
      if (err instanceof StoreError) throw err;
      throw ioError(file, err);
    }
  }

  private migrate(migrations: readonly Migration[]): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current === migrations.length) return;
    if (current > migrations.length) {
      throw new StoreError(
        'newer_schema',
        this.location,
        `${this.location} was created by a newer Warden (schema ${current}, this build knows up to ${migrations.length}); ${UNTOUCHED}`,
      );
    }
    if (this.readonly) {
      throw new StoreError(
        'io',
        this.location,
        `${this.location}: the store is at schema ${current} and needs migrating to ${migrations.length}; open it once for writing`,
      );
    }
    // IMMEDIATE: takes the write lock first, then reads the version again (another process may have migrated).
    this.db
      .transaction(() => {
        const v = this.db.pragma('user_version', { simple: true }) as number;
        if (v < migrations.length) applyMigrations(this.db, v, migrations);
      })
      .immediate();
  }

  meta(): StoreMeta {
    const rows = this.metaRows.all() as { key: string; value: string }[];
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return {
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      createdBy: byKey.get('created_by') ?? '',
      createdAt: byKey.get('created_at') ?? '',
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- plans, DTMS state, legacy rules

  savePlan(plan: ExitPlan): void {
    this.planRows.savePlan(plan);
  }
  plan(positionId: string): ExitPlan | null {
    return this.planRows.plan(positionId);
  }
  plans(): ExitPlan[] {
    return this.planRows.plans();
  }
  deletePlan(positionId: string): boolean {
    return this.planRows.deletePlan(positionId);
  }
  saveDefence(positionId: string, defence: StoredDefence): void {
    this.planRows.saveDefence(positionId, defence);
  }
  defence(positionId: string): StoredDefence | null {
    return this.planRows.defence(positionId);
  }
  defences(): Map<string, StoredDefence> {
    return this.planRows.defences();
  }
  deleteDefence(positionId: string): boolean {
    return this.planRows.deleteDefence(positionId);
  }
  saveLegacyRule(rule: StoredLegacyRule): void {
    this.planRows.saveLegacyRule(rule);
  }
  legacyRule(positionId: string): StoredLegacyRule | null {
    return this.planRows.legacyRule(positionId);
  }
  legacyRules(): StoredLegacyRule[] {
    return this.planRows.legacyRules();
  }
  deleteLegacyRule(positionId: string): boolean {
    return this.planRows.deleteLegacyRule(positionId);
  }

  // ---- decision journal

  appendDecision(r: DecisionRecord): void {
    this.decisionJournal.appendDecision(r);
  }
  appendDecisions(records: readonly DecisionRecord[]): void {
    for (const r of records) this.decisionJournal.appendDecision(r);
  }
  decisionsFor(positionId: string, limit = -1): DecisionRecord[] {
    return this.decisionJournal.decisionsFor(positionId, limit);
  }
  decisionsOf(positionIds: readonly string[], limit = -1): DecisionRecord[] {
    return this.decisionJournal.decisionsOf(positionIds, limit);
  }
  recentDecisions(limit: number): DecisionRecord[] {
    return this.decisionJournal.recentDecisions(limit);
  }
  decisionCount(): number {
    return this.decisionJournal.decisionCount();
  }
  lastDecisionSeq(): number {
    return this.decisionJournal.lastDecisionSeq();
  }
  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[] {
    return this.decisionJournal.decisionPage(filter, range);
  }

  // ---- intent journal

  recordIntent(intent: Intent, at: number = intent.time): void {
    this.intentJournal.recordIntent(intent, at);
  }
  markIntent(
    id: string,
    status: IntentAnswer,
    code: string | null,
    reason: string,
    at: number,
    fill?: number,
  ): boolean {
    return this.intentJournal.markIntent(id, status, code, reason, at, fill);
  }
  fillsOf(positionId: string): IntentFill[] {
    return this.intentJournal.fillsOf(positionId);
  }
  intent(id: string): StoredIntent | null {
    return this.intentJournal.intent(id);
  }
  unresolvedIntents(): StoredIntent[] {
    return this.intentJournal.unresolvedIntents();
  }
  intentsFor(positionId: string, only: IntentFilter = {}): StoredIntent[] {
    return this.intentJournal.intentsFor(positionId, only);
  }
  intentsSince(at: number): StoredIntent[] {
    return this.intentJournal.intentsSince(at);
  }
  intentCounts(at: number, symbol?: string): IntentCount[] {
    return this.intentJournal.intentCounts(at, symbol);
  }

  // ---- live session state

  savePosition(position: Position, order: number): void {
    this.sessionRows.savePosition(position, order);
  }
  saveManagedPositions(rows: readonly ManagedPositionRow[]): void {
    // Statements here are in-process calls: one by one costs nothing a batch would save.
    for (const r of rows) {
      this.planRows.savePlan(r.plan);
      if (r.defence !== null) this.planRows.saveDefence(r.position.id, r.defence);
      else this.planRows.deleteDefence(r.position.id);
      this.sessionRows.savePosition(r.position, r.order);
    }
  }
  positions(): StoredPosition[] {
    return this.sessionRows.positions();
  }
  deletePosition(positionId: string): boolean {
    return this.sessionRows.deletePosition(positionId);
  }
  saveSessionState(state: StoredSessionState): void {
    this.sessionRows.saveSessionState(state);
  }
  sessionState(): StoredSessionState | null {
    return this.sessionRows.sessionState();
  }
  saveHealth(report: HealthReport): void {
    this.sessionRows.saveHealth(report);
  }
  health(): HealthReport | null {
    return this.sessionRows.health();
  }
  savePaperAccount(state: StoredPaperAccount): void {
    this.sessionRows.savePaperAccount(state);
  }
  paperAccount(): StoredPaperAccount | null {
    return this.sessionRows.paperAccount();
  }
  saveShadowBook(book: ShadowBookSnapshot): void {
    this.sessionRows.saveShadowBook(book);
  }
  shadowBook(): ShadowBookSnapshot | null {
    return this.sessionRows.shadowBook();
  }
  saveSessionOwner(owner: SessionOwner | null): void {
    this.sessionRows.saveSessionOwner(owner);
  }
  sessionOwner(): SessionOwner | null {
    return this.sessionRows.sessionOwner();
  }

  // ---- lifetimes, closed trades, plan proposals

  saveLifetime(l: StoredLifetime): void {
    this.tradeRows.saveLifetime(l);
  }
  lifetime(key: string): StoredLifetime | null {
    return this.tradeRows.lifetime(key);
  }
  lifetimesOf(ticket: string): StoredLifetime[] {
    return this.tradeRows.lifetimesOf(ticket);
  }
  openLifetimes(): StoredLifetime[] {
    return this.tradeRows.openLifetimes();
  }
  saveClosedTrade(t: ClosedTrade): void {
    this.tradeRows.saveClosedTrade(t);
  }
  closedTrade(key: string): ClosedTrade | null {
    return this.tradeRows.closedTrade(key);
  }
  closedTradesOf(ticket: string): ClosedTrade[] {
    return this.tradeRows.closedTradesOf(ticket);
  }
  closedTradePage(q: ClosedTradeQuery): ClosedTrade[] {
    return this.tradeRows.closedTradePage(q);
  }
  endedWithoutClosedTrade(limit: number): StoredLifetime[] {
    return this.tradeRows.endedWithoutClosedTrade(limit);
  }
  saveProposal(p: PlanProposal): void {
    this.tradeRows.saveProposal(p);
  }
  proposal(id: string): PlanProposal | null {
    return this.tradeRows.proposal(id);
  }
  proposals(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): PlanProposal[] {
    return this.tradeRows.proposals(q);
  }
  proposalCount(): number {
    return this.tradeRows.proposalCount();
  }

  // ---- replay checkpoints

  saveReplayCheckpoint(runKey: string, c: ReplayCheckpointRecord, at: number): void {
    this.checkpoints.saveReplayCheckpoint(runKey, c, at);
  }
  replayCheckpoint(runKey: string): StoredReplayCheckpoint | null {
    return this.checkpoints.replayCheckpoint(runKey);
  }
  replayCheckpointParts(runKey: string): ReplayCheckpointPart[] {
    return this.checkpoints.replayCheckpointParts(runKey);
  }
  deleteReplayCheckpoint(runKey: string): boolean {
    return this.checkpoints.deleteReplayCheckpoint(runKey);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    if (this.sideFiles !== null) removeSideFiles(this.location, this.sideFiles.wal, this.sideFiles.shm);
  }
}

// The shared store: one account's rows in a PostgreSQL installation (a schema, named in the store URL:
// postgres://user@host:port/database?schema=NAME, default `warden`). The same WardenStore as the
// embedded SQLite file, its rows decoded and refused by the same code (records.ts, storeRows.ts), so
// a session, the API and the tools run on either unchanged; on this one, several processes and
// machines serve the accounts of one installation, one live owner per account (the lease, below).
import type { HealthReport } from '../domain/health.ts';
import type { ShadowBookSnapshot } from '../domain/shadowBookSnapshot.ts';
import type { Intent, Position } from '../domain/types.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import { connectionFor, parsePostgresUrl, type PostgresConnection, type SqlParam } from './postgresConnection.ts';
import { PostgresJournals } from './postgresJournals.ts';
import { accountLeases, installedAccounts, type LeaseHolding } from './postgresLeases.ts';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgresMigrations.ts';
import { openInstallation } from './postgresOpen.ts';
import {
  closedTradeSchema,
  decodeRecord,
  encodeRecord,
  exitPlanSchema,
  lifetimeSchema,
  planProposalSchema,
  storedDefenceSchema,
} from './records.ts';
import {
  healthReportSchema,
  paperAccountSchema,
  positionSchema,
  sessionOwnerSchema,
  sessionStateSchema,
  shadowBookSchema,
} from './sessionRecords.ts';
import {
  StoreError,
  type AccountDirectory,
  type AccountLeases,
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
import {
  checkReplayCheckpoint,
  decodeCheckpointPart,
  decodeCheckpointRow,
  decodeLegacyRow,
  LEGACY_COLUMNS,
  type CheckpointRow,
  type LegacyRow,
} from './storeRows.ts';

/** The account a store URL opens when none is named: a one-account installation's. */
export const DEFAULT_ACCOUNT = 'default';
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface OpenPostgresStoreOptions {
  /** The caller's clock (epoch ms): a new installation's created_at. */
  now: number;
  createdBy?: string;
  readonly?: boolean;
  /** Whose rows (default `default`): letters, digits, . _ -, at most 64. */
  account?: string;
  /** The schema (tests pass their own list); default POSTGRES_MIGRATIONS. */
  migrations?: readonly PostgresMigration[];
}

/** Opens one account of the installation at `url`, creating or migrating it; refuses (StoreError) one that is not healthy. */
export function openPostgresStore(url: string, o: OpenPostgresStoreOptions): PostgresStore {
  const location = parsePostgresUrl(url);
  const account = o.account ?? DEFAULT_ACCOUNT;
  if (!ACCOUNT_NAME.test(account))
    throw new StoreError(
      'io',
      location.shown,
      `account ${JSON.stringify(account)} is not a valid account name (letters, digits, . _ -, starting with a letter or digit, at most 64)`,
    );
  const conn = connectionFor(location);
  try {
    openInstallation(conn, location, {
      now: o.now,
      createdBy: o.createdBy,
      readonly: o.readonly === true,
      migrations: o.migrations ?? POSTGRES_MIGRATIONS,
    });
  } catch (err) {
    conn.release();
    throw err;
  }
  return new PostgresStore(conn, location.shown, account, o.readonly === true);
}

export class PostgresStore implements WardenStore {
  readonly location: string;
  readonly leases: AccountLeases;
  readonly directory: AccountDirectory;
  private readonly journals: PostgresJournals;
  private readonly holding: LeaseHolding = { token: null };
  private closed = false;

  constructor(
    private readonly conn: PostgresConnection,
    shown: string,
    readonly account: string,
    readonly readonly: boolean,
  ) {
    this.location = `${shown} account ${account}`;
    this.journals = new PostgresJournals(conn, this.location, account, () => this.holding.token);
    this.leases = accountLeases(conn, account, this.holding);
    this.directory = { accounts: () => installedAccounts(conn, this.location) };
  }

  /** One statement with the account as $1. */
  private rows<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): T[] {
    if (this.closed) throw new StoreError('io', this.location, `${this.location}: the store is closed`);
    return this.conn.rows<T>(sql, [this.account, ...params]);
  }

  /** A write: refused on a store opened read-only. */
  private write(sql: string, params: readonly SqlParam[]): number {
    if (this.readonly)
      throw new StoreError(
        'io',
        this.location,
        `${this.location}: the store was opened read-only; nothing was written`,
      );
    return this.rows(sql, params).length;
  }

  meta(): StoreMeta {
    const rows = this.conn.rows<{ key: string; value: string }>('SELECT key, value FROM meta');
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return {
      schemaVersion: Number(byKey.get('schema_version') ?? 0),
      createdBy: byKey.get('created_by') ?? '',
      createdAt: byKey.get('created_at') ?? '',
    };
  }

  transaction<T>(fn: () => T): T {
    return this.conn.transaction(fn);
  }

  // ---- plans, DTMS state, legacy rules

  savePlan(plan: ExitPlan): void {
    this.write(
      `INSERT INTO plans (account, position_id, symbol, plan) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account, position_id) DO UPDATE SET symbol = excluded.symbol, plan = excluded.plan`,
      [plan.positionId, plan.symbol, encodeRecord(plan)],
    );
  }
  plan(positionId: string): ExitPlan | null {
    const row = this.rows<{ plan: string }>('SELECT plan FROM plans WHERE account = $1 AND position_id = $2', [
      positionId,
    ])[0];
    return row === undefined ? null : decodeRecord(exitPlanSchema, row.plan, this.location, 'plans', positionId);
  }
  plans(): ExitPlan[] {
    return this.rows<{ position_id: string; plan: string }>(
      'SELECT position_id, plan FROM plans WHERE account = $1 ORDER BY position_id',
    ).map((r) => decodeRecord(exitPlanSchema, r.plan, this.location, 'plans', r.position_id));
  }
  deletePlan(positionId: string): boolean {
    return this.write('DELETE FROM plans WHERE account = $1 AND position_id = $2 RETURNING 1', [positionId]) > 0;
  }
  saveDefence(positionId: string, defence: StoredDefence): void {
    this.write(
      `INSERT INTO dtms_state (account, position_id, state) VALUES ($1, $2, $3)
       ON CONFLICT (account, position_id) DO UPDATE SET state = excluded.state`,
      [positionId, encodeRecord(defence)],
    );
  }
  defence(positionId: string): StoredDefence | null {
    const row = this.rows<{ state: string }>('SELECT state FROM dtms_state WHERE account = $1 AND position_id = $2', [
      positionId,
    ])[0];
    return row === undefined
      ? null
      : decodeRecord(storedDefenceSchema, row.state, this.location, 'dtms_state', positionId);
  }
  defences(): Map<string, StoredDefence> {
    const rows = this.rows<{ position_id: string; state: string }>(
      'SELECT position_id, state FROM dtms_state WHERE account = $1 ORDER BY position_id',
    );
    return new Map(
      rows.map((r) => [
        r.position_id,
        decodeRecord(storedDefenceSchema, r.state, this.location, 'dtms_state', r.position_id),
      ]),
    );
  }
  deleteDefence(positionId: string): boolean {
    return this.write('DELETE FROM dtms_state WHERE account = $1 AND position_id = $2 RETURNING 1', [positionId]) > 0;
  }
  saveLegacyRule(rule: StoredLegacyRule): void {
    this.write(
      `INSERT INTO legacy_rules (account, position_id, symbol, source, imported_at, notes, rule) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account, position_id) DO UPDATE SET symbol = excluded.symbol, source = excluded.source,
         imported_at = excluded.imported_at, notes = excluded.notes, rule = excluded.rule`,
      [
        rule.positionId,
        rule.rule.symbol,
        rule.source,
        rule.importedAt,
        JSON.stringify(rule.notes),
        encodeRecord(rule.rule),
      ],
    );
  }
  legacyRule(positionId: string): StoredLegacyRule | null {
    const row = this.rows<LegacyRow>(
      `SELECT ${LEGACY_COLUMNS} FROM legacy_rules WHERE account = $1 AND position_id = $2`,
      [positionId],
    )[0];
    return row === undefined ? null : decodeLegacyRow(row, this.location);
  }
  legacyRules(): StoredLegacyRule[] {
    return this.rows<LegacyRow>(
      `SELECT ${LEGACY_COLUMNS} FROM legacy_rules WHERE account = $1 ORDER BY position_id`,
    ).map((r) => decodeLegacyRow(r, this.location));
  }
  deleteLegacyRule(positionId: string): boolean {
    return this.write('DELETE FROM legacy_rules WHERE account = $1 AND position_id = $2 RETURNING 1', [positionId]) > 0;
  }

  // ---- journals

  appendDecision(r: DecisionRecord): void {
    this.writable();
    this.journals.appendDecision(r);
  }
  appendDecisions(records: readonly DecisionRecord[]): void {
    this.writable();
    this.journals.appendDecisions(records);
  }
  decisionsFor(positionId: string, limit = -1): DecisionRecord[] {
    return this.journals.decisionsFor(positionId, limit);
  }
  decisionsOf(positionIds: readonly string[], limit = -1): DecisionRecord[] {
    return this.journals.decisionsOf(positionIds, limit);
  }
  recentDecisions(limit: number): DecisionRecord[] {
    return this.journals.recentDecisions(limit);
  }
  decisionCount(): number {
    return this.journals.decisionCount();
  }
  lastDecisionSeq(): number {
    return this.journals.lastDecisionSeq();
  }
  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[] {
    return this.journals.decisionPage(filter, range);
  }
  recordIntent(intent: Intent, at: number = intent.time): void {
    this.writable();
    this.journals.recordIntent(intent, at);
  }
  markIntent(
    id: string,
    status: IntentAnswer,
    code: string | null,
    reason: string,
    at: number,
    fill?: number,
  ): boolean {
    this.writable();
    return this.journals.markIntent(id, status, code, reason, at, fill);
  }
  fillsOf(positionId: string): IntentFill[] {
    return this.journals.fillsOf(positionId);
  }
  intent(id: string): StoredIntent | null {
    return this.journals.intent(id);
  }
  unresolvedIntents(): StoredIntent[] {
    return this.journals.unresolvedIntents();
  }
  intentsFor(positionId: string, only: IntentFilter = {}): StoredIntent[] {
    return this.journals.intentsFor(positionId, only);
  }
  intentsSince(at: number): StoredIntent[] {
    return this.journals.intentsSince(at);
  }
  intentCounts(at: number, symbol?: string): IntentCount[] {
    return this.journals.intentCounts(at, symbol);
  }

  private writable(): void {
    if (this.closed) throw new StoreError('io', this.location, `${this.location}: the store is closed`);
    if (this.readonly)
      throw new StoreError(
        'io',
        this.location,
        `${this.location}: the store was opened read-only; nothing was written`,
      );
  }

  // ---- a live session's state (one JSON value per key in session_state)

  savePosition(position: Position, order: number): void {
    this.write(
      `INSERT INTO positions (account, position_id, symbol, ord, position) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account, position_id) DO UPDATE SET symbol = excluded.symbol, ord = excluded.ord, position = excluded.position`,
      [position.id, position.symbol, order, encodeRecord(position)],
    );
  }
  saveManagedPositions(rows: readonly ManagedPositionRow[]): void {
    if (rows.length === 0) return;
    // One statement per table, the rows as one JSON array: x->>i gives each record's JSON text back exactly.
    const each = (sql: string, values: unknown[][]) => {
      if (values.length > 0) this.write(sql, [JSON.stringify(values)]);
    };
    const FROM = 'FROM json_array_elements($2::json) x';
    each(
      `INSERT INTO plans (account, position_id, symbol, plan) SELECT $1, x->>0, x->>1, x->>2 ${FROM}
       ON CONFLICT (account, position_id) DO UPDATE SET symbol = excluded.symbol, plan = excluded.plan`,
      rows.map((r) => [r.plan.positionId, r.plan.symbol, encodeRecord(r.plan)]),
    );
    each(
      `INSERT INTO dtms_state (account, position_id, state) SELECT $1, x->>0, x->>1 ${FROM}
       ON CONFLICT (account, position_id) DO UPDATE SET state = excluded.state`,
      rows.filter((r) => r.defence !== null).map((r) => [r.position.id, encodeRecord(r.defence)]),
    );
    each(
      `DELETE FROM dtms_state WHERE account = $1 AND position_id IN (SELECT x->>0 ${FROM})`,
      rows.filter((r) => r.defence === null).map((r) => [r.position.id]),
    );
    each(
      `INSERT INTO positions (account, position_id, symbol, ord, position) SELECT $1, x->>0, x->>1, (x->>2)::bigint, x->>3 ${FROM}
       ON CONFLICT (account, position_id) DO UPDATE SET symbol = excluded.symbol, ord = excluded.ord, position = excluded.position`,
      rows.map((r) => [r.position.id, r.position.symbol, r.order, encodeRecord(r.position)]),
    );
  }
  positions(): StoredPosition[] {
    return this.rows<{ position_id: string; ord: number; position: string }>(
      'SELECT position_id, ord, position FROM positions WHERE account = $1 ORDER BY ord, position_id',
    ).map((r) => ({
      position: decodeRecord(positionSchema, r.position, this.location, 'positions', r.position_id),
      order: r.ord,
    }));
  }
  deletePosition(positionId: string): boolean {
    return this.write('DELETE FROM positions WHERE account = $1 AND position_id = $2 RETURNING 1', [positionId]) > 0;
  }
  private putState(key: string, value: string): void {
    this.write(
      `INSERT INTO session_state (account, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (account, key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }
  private state(key: string): string | null {
    return (
      this.rows<{ value: string }>('SELECT value FROM session_state WHERE account = $1 AND key = $2', [key])[0]
        ?.value ?? null
    );
  }
  saveSessionState(state: StoredSessionState): void {
    this.putState('engine', encodeRecord(state));
  }
  sessionState(): StoredSessionState | null {
    const v = this.state('engine');
    return v === null ? null : decodeRecord(sessionStateSchema, v, this.location, 'session_state', 'engine');
  }
  saveHealth(report: HealthReport): void {
    this.putState('health', encodeRecord(report));
  }
  health(): HealthReport | null {
    const v = this.state('health');
    return v === null ? null : decodeRecord(healthReportSchema, v, this.location, 'session_state', 'health');
  }
  savePaperAccount(state: StoredPaperAccount): void {
    this.putState('paper', encodeRecord(state));
  }
  paperAccount(): StoredPaperAccount | null {
    const v = this.state('paper');
    return v === null ? null : decodeRecord(paperAccountSchema, v, this.location, 'session_state', 'paper');
  }
  saveShadowBook(book: ShadowBookSnapshot): void {
    this.putState('shadow', encodeRecord(book));
  }
  shadowBook(): ShadowBookSnapshot | null {
    const v = this.state('shadow');
    return v === null ? null : decodeRecord(shadowBookSchema, v, this.location, 'session_state', 'shadow');
  }
  saveSessionOwner(owner: SessionOwner | null): void {
    if (owner === null) this.write("DELETE FROM session_state WHERE account = $1 AND key = 'owner'", []);
    else this.putState('owner', encodeRecord(owner));
  }
  sessionOwner(): SessionOwner | null {
    const v = this.state('owner');
    return v === null ? null : decodeRecord(sessionOwnerSchema, v, this.location, 'session_state', 'owner');
  }

  // ---- lifetimes, closed trades, plan proposals

  saveLifetime(l: StoredLifetime): void {
    this.write(
      `INSERT INTO lifetimes (account, key, ticket, n, ended_at, lifetime) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account, key) DO UPDATE SET ticket = excluded.ticket, n = excluded.n, ended_at = excluded.ended_at, lifetime = excluded.lifetime`,
      [l.key, l.ticket, l.n, l.endedAt, encodeRecord(l)],
    );
  }
  lifetime(key: string): StoredLifetime | null {
    return this.lifetimes('SELECT key, lifetime FROM lifetimes WHERE account = $1 AND key = $2', [key])[0] ?? null;
  }
  lifetimesOf(ticket: string): StoredLifetime[] {
    return this.lifetimes('SELECT key, lifetime FROM lifetimes WHERE account = $1 AND ticket = $2 ORDER BY n, key', [
      ticket,
    ]);
  }
  openLifetimes(): StoredLifetime[] {
    return this.lifetimes(
      'SELECT key, lifetime FROM lifetimes WHERE account = $1 AND ended_at IS NULL ORDER BY seq',
      [],
    );
  }
  private lifetimes(sql: string, params: readonly SqlParam[]): StoredLifetime[] {
    return this.rows<{ key: string; lifetime: string }>(sql, params).map((r) =>
      decodeRecord(lifetimeSchema, r.lifetime, this.location, 'lifetimes', r.key),
    );
  }

  saveClosedTrade(t: ClosedTrade): void {
    this.write(
      `INSERT INTO closed_trades (account, key, ticket, symbol, close_time, trade) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (account, key) DO UPDATE SET ticket = excluded.ticket, symbol = excluded.symbol, close_time = excluded.close_time, trade = excluded.trade`,
      [t.key, t.ticket, t.symbol, t.closeTime, encodeRecord(t)],
    );
  }
  closedTrade(key: string): ClosedTrade | null {
    return this.trades('SELECT key, trade FROM closed_trades WHERE account = $1 AND key = $2', [key])[0] ?? null;
  }
  closedTradesOf(ticket: string): ClosedTrade[] {
    return this.trades(
      `SELECT c.key, c.trade FROM closed_trades c LEFT JOIN lifetimes l ON l.account = c.account AND l.key = c.key
       WHERE c.account = $1 AND c.ticket = $2 ORDER BY coalesce(l.n, 0), c.close_time, c.key`,
      [ticket],
    );
  }
  closedTradePage(q: ClosedTradeQuery): ClosedTrade[] {
    const limit = Math.max(0, Math.floor(q.limit));
    if (limit === 0) return [];
    // Newest close first; the cursor is the last row's (close_time, key), as in the SQLite store.
    return this.trades(
      `SELECT key, trade FROM closed_trades WHERE account = $1 AND ($2::text IS NULL OR symbol = $2)
         AND close_time >= $3 AND close_time < $4 AND (close_time, key) < ($5::bigint, $6::text COLLATE "C")
       ORDER BY close_time DESC, key DESC LIMIT $7`,
      [
        q.symbol ?? null,
        q.from ?? Number.MIN_SAFE_INTEGER,
        q.to ?? Number.MAX_SAFE_INTEGER,
        q.after?.closeTime ?? Number.MAX_SAFE_INTEGER,
        q.after?.key ?? '',
        limit,
      ],
    );
  }
  endedWithoutClosedTrade(limit: number): StoredLifetime[] {
    return this.lifetimes(
      `SELECT l.key, l.lifetime FROM lifetimes l WHERE l.account = $1 AND l.ended_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM closed_trades c WHERE c.account = l.account AND c.key = l.key)
       ORDER BY l.ended_at DESC, l.key DESC LIMIT $2`,
      [Math.max(0, Math.floor(limit))],
    );
  }
  private trades(sql: string, params: readonly SqlParam[]): ClosedTrade[] {
    return this.rows<{ key: string; trade: string }>(sql, params).map((r) =>
      decodeRecord(closedTradeSchema, r.trade, this.location, 'closed_trades', r.key),
    );
  }

  saveProposal(p: PlanProposal): void {
    this.write(
      `INSERT INTO proposals (account, id, ticket, status, proposal) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account, id) DO UPDATE SET ticket = excluded.ticket, status = excluded.status, proposal = excluded.proposal`,
      [p.id, p.ticket, p.status, encodeRecord(p)],
    );
  }
  proposal(id: string): PlanProposal | null {
    return this.proposalRows('SELECT id, proposal FROM proposals WHERE account = $1 AND id = $2', [id])[0] ?? null;
  }
  proposals(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): PlanProposal[] {
    return this.proposalRows(
      `SELECT id, proposal FROM proposals WHERE account = $1 AND ($2::text IS NULL OR status = $2)
         AND ($3::text IS NULL OR ticket = $3) ORDER BY seq DESC LIMIT $4`,
      [q.status ?? null, q.ticket ?? null, Math.max(0, Math.floor(q.limit))],
    );
  }
  proposalCount(): number {
    return this.rows<{ n: number }>('SELECT count(*) AS n FROM proposals WHERE account = $1')[0]!.n;
  }
  private proposalRows(sql: string, params: readonly SqlParam[]): PlanProposal[] {
    return this.rows<{ id: string; proposal: string }>(sql, params).map((r) =>
      decodeRecord(planProposalSchema, r.proposal, this.location, 'proposals', r.id),
    );
  }

  // ---- replay checkpoints (a checkpoint and its parts saved and deleted in one transaction)

  saveReplayCheckpoint(runKey: string, c: ReplayCheckpointRecord, at: number): void {
    checkReplayCheckpoint(runKey, c, this.location);
    this.transaction(() => {
      // A run's first checkpoint: parts of an earlier run under the same key are not its own.
      const had =
        this.rows('SELECT 1 FROM replay_checkpoints WHERE account = $1 AND run_key = $2', [runKey]).length > 0;
      if (!had) this.write('DELETE FROM replay_checkpoint_parts WHERE account = $1 AND run_key = $2', [runKey]);
      this.write(
        `INSERT INTO replay_checkpoints (account, run_key, next, lines, bytes, saved_at, checkpoint) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account, run_key) DO UPDATE SET next = excluded.next, lines = excluded.lines, bytes = excluded.bytes,
           saved_at = excluded.saved_at, checkpoint = excluded.checkpoint`,
        [runKey, c.next, c.lines, c.bytes, at, c.checkpointJson],
      );
      for (const part of c.parts ?? [])
        this.write(
          `INSERT INTO replay_checkpoint_parts (account, run_key, list, start, items) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (account, run_key, list, start) DO UPDATE SET items = excluded.items`,
          [runKey, part.list, part.start, part.itemsJson],
        );
    });
  }
  replayCheckpoint(runKey: string): StoredReplayCheckpoint | null {
    const row = this.rows<CheckpointRow>(
      'SELECT next, lines, bytes, saved_at, checkpoint FROM replay_checkpoints WHERE account = $1 AND run_key = $2',
      [runKey],
    )[0];
    return row === undefined ? null : decodeCheckpointRow(runKey, row, this.location);
  }
  replayCheckpointParts(runKey: string): ReplayCheckpointPart[] {
    return this.rows<{ list: unknown; start: unknown; items: unknown }>(
      'SELECT list, start, items FROM replay_checkpoint_parts WHERE account = $1 AND run_key = $2 ORDER BY list, start',
      [runKey],
    ).map((r) => decodeCheckpointPart(runKey, r, this.location));
  }
  deleteReplayCheckpoint(runKey: string): boolean {
    return this.transaction(() => {
      this.write('DELETE FROM replay_checkpoint_parts WHERE account = $1 AND run_key = $2', [runKey]);
      return this.write('DELETE FROM replay_checkpoints WHERE account = $1 AND run_key = $2 RETURNING 1', [runKey]) > 0;
    });
  }

  close(): void {
    if (this.closed) return;
    try {
      this.leases.release();
    } catch {
      // The connection is gone: the lease lapses by itself.
    }
    this.closed = true;
    this.conn.release();
  }
}

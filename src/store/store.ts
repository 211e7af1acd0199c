// What Warden keeps across restarts, as its callers see it: exit plans, DTMS state, the
// decision journal, the intent journal and the imported legacy rules, one record per key, plain data
// in and out. Nothing here names SQLite: `sqliteStore.ts` is the embedded implementation, and a server
// database would be another file implementing the same interface.
//
// Synchronous on purpose: the engine is synchronous and deterministic, the embedded store answers in
// microseconds, and `transaction(fn)` groups the writes of one step (an intent journaled with the plan
// that sent it) without an await inside a transaction. A server backend would keep this shape by
// writing through a local journal, or the interface grows an async twin; the core never sees either.
import type { ShadowBookSnapshot } from '../domain/shadowBookSnapshot.ts';
import type { DecisionRecord } from '../exits/decisionRecord.ts';
import type { ExitPlan } from '../exits/exitPlan.ts';
import type { LegacyRule } from '../exits/legacyRule.ts';
import type { DefenceSnapshot } from '../dtms/defensiveIntents.ts';
import type { ExitRule, Intent, IntentKind, Position, Side } from '../domain/types.ts';
import type { OrphanHedge } from '../engine/hedgeBook.ts';
import type { PaperAccountSnapshot } from '../brokers/paperAccount.ts';
import type { AccountDirectory, AccountLeases } from './accountLeases.ts';
import type { HealthReport } from '../domain/health.ts';

export type {
  AccountDirectory,
  AccountLease,
  AccountLeases,
  InstalledAccount,
  LeaseAttempt,
} from './accountLeases.ts';

/**
 * A position's DTMS bookkeeping beside its exit plan: the engine's own snapshot of it (the machine,
 * its schedule, hedge, last score and regime, the queue of actions), plain JSON-able data.
 */
export type StoredDefence = DefenceSnapshot;

/**
 * A decision as a reader of the journal sees it (the API's history pages): its place in the journal
 * (`seq`, rising with every record appended) and the fields a person reads, without the rule's inputs.
 * Reading these is a fraction of decoding whole records, so a page of them stays cheap.
 */
export interface JournalDecision
  extends Pick<
    DecisionRecord,
    | 'time'
    | 'positionId'
    | 'symbol'
    | 'rule'
    | 'outcome'
    | 'reason'
    | 'intentId'
    | 'oldSl'
    | 'newSl'
    | 'volume'
    | 'price'
    | 'dtmsState'
    | 'score'
    | 'note'
  > {
  seq: number;
}

/**
 * Which part of the journal a page reads: the newest `limit` records with `after < seq < before`
 * (either bound left out: no bound), of the positions named or of one rule, or of all.
 */
export interface JournalRange {
  before?: number;
  after?: number;
  limit: number;
}
export type JournalFilter = { positionIds: readonly string[] } | { rule: ExitRule } | null;

/** Which intents of a position to read (every one when left out). */
export interface IntentFilter {
  rule?: ExitRule;
  kind?: IntentKind;
  status?: IntentStatus;
}

/** How many intents of one status, rule and DTMS action ('' for the exit plan's rules) a window of the journal holds. */
export interface IntentCount {
  status: IntentStatus;
  rule: ExitRule;
  action: string;
  count: number;
}

/**
 * An intent's life in the journal: `pending` from before it is sent; then the broker's answer:
 * `applied`, `rejected`, or `unknown` (a timeout: reconcile with the broker's positions, then mark it
 * applied or rejected). `applied` and `rejected` are final.
 */
export type IntentStatus = 'pending' | 'applied' | 'rejected' | 'unknown';
export type IntentAnswer = Exclude<IntentStatus, 'pending'>;

export interface StoredIntent {
  intent: Intent;
  status: IntentStatus;
  /** The broker's code (MT5 retcode, exchange error) of the last answer; null before one. */
  code: string | null;
  /** Why (the broker's message, or how reconciliation decided); '' before an answer. */
  reason: string;
  /** When it was journaled (before sending) and when it was last marked (null: not yet). Epoch ms. */
  recordedAt: number;
  resolvedAt: number | null;
}

/**
 * A live session's engine-wide state beside the per-position rows (plans, DTMS state, positions): the
 * engine's clock, which tickets are DTMS hedges of which position, the hedges left behind by closed
 * positions still to close, and the deep-check counter. With those rows it is the engine's snapshot.
 */
export interface StoredSessionState {
  time: number;
  hedges: [hedgeId: string, positionId: string][];
  orphans: OrphanHedge[];
  deepChecks: number;
}

/**
 * A managed position's lifetime (domain/lifetime.ts): from the first time a live session saw it open at
 * the venue to the time it saw it gone. Plans, DTMS state, decisions and intents key on `key`.
 */
export interface StoredLifetime {
  /** `<ticket>#<n>`; a bare ticket for a position a store older than schema 6 already managed. */
  key: string;
  ticket: string;
  /** The how-manieth lifetime of the ticket in this store (0 for such an older position). */
  n: number;
  symbol: string;
  side: Side;
  /** The venue's open time (epoch ms); 0 when the venue gives none. */
  openTime: number;
  entryPrice: number;
  /** When the session first saw it (the session's clock, epoch ms). */
  startedAt: number;
  /** When the session saw it gone (null while open), and why. */
  endedAt: number | null;
  endReason: string;
}

/**
 * How a closed trade ended, from its last closing deal:
 *   - `sl` / `tp`: the venue's stop loss or take profit filled (whoever had put the level there);
 *   - `warden_close`: a close Warden sent for the exit plan took what was left;
 *   - `warden_partials`: Warden's partial closes took all of it (the last closing deal was one);
 *   - `dtms_close`: a DTMS action (a close, or its half close) took what was left;
 *   - `stop_out`: the venue closed it for margin;
 *   - `outside`: a request from elsewhere closed it (the trader's terminal, another program);
 *   - `unknown`: the venue could not say, and Warden's own requests do not account for the close.
 */
export type ClosedTradeExit =
  | 'sl'
  | 'tp'
  | 'warden_close'
  | 'warden_partials'
  | 'dtms_close'
  | 'stop_out'
  | 'outside'
  | 'unknown';

/**
 * Where a figure of a closed trade came from: `venue` (its deals), `journal` (Warden's applied requests
 * and the fills the venue answered them with), `decision` (the price the decision saw, where the venue's
 * answer named no fill), `lifetime` (what Warden saw of the position while it managed it), `plan` (the
 * exit plan: its initial stop), or `none` (nobody could say: the figure is null).
 */
export type ClosedTradeSource = 'venue' | 'journal' | 'decision' | 'lifetime' | 'plan' | 'none';

/** A deal that closed (part of) a closed trade. */
export interface ClosedTradeDeal {
  time: number;
  volume: number;
  price: number;
  /** Null when neither the venue nor the fills say. */
  profit: number | null;
  /** sl, tp, stop_out, outside, unknown: the venue's cause; warden / dtms: one of Warden's requests. */
  by: 'sl' | 'tp' | 'stop_out' | 'outside' | 'unknown' | 'warden' | 'dtms';
  /** The intent that made it ('' when none). */
  intentId: string;
  /** Partial (a close_partial request) or not. */
  partial: boolean;
  from: ClosedTradeSource;
}

/** A DTMS hedge booked to a closed trade: its result counts in the trade's. */
export interface ClosedTradeHedge {
  /** The hedge's ticket (null when no answer named it). */
  ticket: string | null;
  side: Side;
  volume: number;
  openPrice: number;
  /** Null while open, or when closed in a way Warden did not see. */
  closePrice: number | null;
  profit: number | null;
  from: ClosedTradeSource;
}

/**
 * A managed position's lifetime after it closed: how it opened and ended, what it made (Warden's partial
 * closes and DTMS hedges included) and in R, and where each figure came from. Made when the lifetime
 * ends, from the venue's history where it has one and Warden's own journal otherwise; never a figure
 * nobody could give (those are null, and `notes` say why). Times are epoch ms.
 */
export interface ClosedTrade {
  /** The lifetime key (`<ticket>#<n>`). */
  key: string;
  ticket: string;
  symbol: string;
  side: Side;
  openTime: number;
  closeTime: number;
  entryPrice: number;
  /** The most the position held (lots), what closed in all, and what of it Warden's requests closed. */
  volume: { opened: number | null; closed: number | null; closedByWarden: number };
  /** Volume-weighted over every closing deal, partials included; null when the closing deals are not known. */
  exitPrice: number | null;
  exitReason: ClosedTradeExit;
  /** The whole trade's realized profit (closing deals and hedges, fees apart); null when a part is not known. */
  realizedProfit: number | null;
  /** Of it: Warden's partial closes, and the DTMS hedges (null when not known). */
  partialsProfit: number | null;
  hedgesProfit: number | null;
  /** Commission, swap and funding as booked (a charge is negative); null when not said. */
  fees: number | null;
  /** The stop the position started with (null: none known), and the money one R stood for at the opened volume. */
  initialSl: number | null;
  riskMoney: number | null;
  /** realizedProfit / riskMoney; null when either is not known. */
  r: number | null;
  deals: ClosedTradeDeal[];
  hedges: ClosedTradeHedge[];
  sources: {
    entry: ClosedTradeSource;
    exit: ClosedTradeSource;
    realized: ClosedTradeSource;
    openTime: ClosedTradeSource;
    closeTime: ClosedTradeSource;
    initialSl: ClosedTradeSource;
  };
  /** What the venue's history gave: answered, no history of it, no history to ask (the venue has none), or failed (after `attempts`). */
  history: {
    venue: string;
    status: 'answered' | 'no_history' | 'unsupported' | 'failed' | 'pending';
    attempts: number;
    error: string;
  };
  notes: string[];
  /** When it was (last) recorded: the session's clock. */
  recordedAt: number;
}

/** Which closed trades a page lists: newest close first, after the cursor (a trade's close time and key), filtered. */
export interface ClosedTradeQuery {
  symbol?: string;
  /** Close time at or after `from`, before `to` (epoch ms). */
  from?: number;
  to?: number;
  after?: { closeTime: number; key: string };
  limit: number;
}

/** A fill the venue answered one of Warden's requests with (closes, partial closes, opens). */
export interface IntentFill {
  intentId: string;
  price: number;
  /** When the answer was journaled (the session's clock). */
  at: number;
}

/** A plan change proposed for one position (by an agent, the API or a page), tried in shadow until a person or agent decides. */
export interface PlanProposal {
  /** 'p-<n>': unique in a store. */
  id: string;
  /** The lifetime it is for (`<ticket>#<n>`); void once that lifetime ends. */
  lifetime: string;
  ticket: string;
  symbol: string;
  /** The change: base triggers in % of the way from entry to TP, the partial's size in % of the volume, trailing on/off. */
  patch: { breakevenPct?: number; partialPct?: number; partialClosePct?: number; trailingEnabled?: boolean };
  /** Why, in the proposer's words. */
  rationale: string;
  /** Where it came from: 'mcp', 'api', 'page'. */
  proposedBy: string;
  /** Epoch ms (the session's clock). */
  createdAt: number;
  /** shadow: proposed, its what-if shown beside the actual, nothing changed; approved: applied to the plan; rejected; void: the position closed or the change no longer applies. */
  status: 'shadow' | 'approved' | 'rejected' | 'void';
  decidedAt: number | null;
  decidedBy: string | null;
  /** The decision's words: the approver's note, why it was void. */
  decisionNote: string;
}

/**
 * The embedded paper account of `warden serve` and the position of its played market, kept with each
 * step so that a restart goes on where the account stopped (same positions, tickets, realized profit,
 * market clock) instead of opening a new account on the same store.
 */
export interface StoredPaperAccount {
  account: PaperAccountSnapshot;
  market: {
    /** What made the market (a restart with other settings starts a new paper account). */
    seed: number;
    symbols: string[];
    start: number;
    warmupMinutes: number;
    /** Bars played since the warm-up, and the market's clock (the last bar's close, epoch ms). */
    position: number;
    clock: number;
  };
}

/** A managed position as a step saves it: its plan, DTMS state (null: none) and place in the engine's order. */
export interface ManagedPositionRow {
  plan: ExitPlan;
  defence: StoredDefence | null;
  position: Position;
  order: number;
}

/** The process running a live session on this store (one at a time). */
export interface SessionOwner {
  pid: number;
  host: string;
  /** Epoch ms. */
  startedAt: number;
}

/** The broker's view of a managed position as last seen, and its place in the engine's evaluation order. */
export interface StoredPosition {
  position: Position;
  order: number;
}

/** A rule of the Python bot's intelligent_exits.json, validated and migrated (src/exits/legacyRule.ts). */
export interface StoredLegacyRule {
  /** The position's ticket (the rule's `ticket`). */
  positionId: string;
  rule: LegacyRule;
  /** What the import changed or noticed (fractions migrated, key differing from the ticket). */
  notes: string[];
  /** The file it came from, and when it was imported (epoch ms). */
  source: string;
  importedAt: number;
}

/**
 * Where an interrupted replay goes on from (`warden replay --store`): the bar, the decisions.jsonl
 * lines and bytes written before it (those bytes were on disk before the row was saved), and the
 * replay's checkpoint as plain JSON (src/domain/plainJson.ts).
 */
export interface ReplayCheckpointRecord {
  next: number;
  lines: number;
  bytes: number;
  checkpointJson: string;
  /**
   * Parts of the lists that grow with the run, saved with the checkpoint: each replaces the stored
   * part of its list with the same start, the others stay (they hold what has not changed).
   */
  parts?: ReplayCheckpointPart[];
}

/** The lists of a replay checkpoint kept as parts (replaySession.ts: ReplayCheckpoint, replayCheckpointStore.ts). */
export const REPLAY_CHECKPOINT_LISTS = ['trades', 'deals', 'realized', 'applied_ids'] as const;
export type ReplayCheckpointList = (typeof REPLAY_CHECKPOINT_LISTS)[number];

/** Elements `start`.. of one list, as a plain-JSON array. */
export interface ReplayCheckpointPart {
  list: ReplayCheckpointList;
  start: number;
  itemsJson: string;
}

export interface StoredReplayCheckpoint extends Omit<ReplayCheckpointRecord, 'parts'> {
  runKey: string;
  /** When it was saved (epoch ms). */
  savedAt: number;
}

export interface StoreMeta {
  schemaVersion: number;
  /** The program that created the store, e.g. `warden 0.1.0`, and when (ISO 8601, UTC). */
  createdBy: string;
  createdAt: string;
}

export interface WardenStore {
  /** Where the store is (a file path for the embedded store). */
  readonly location: string;
  readonly readonly: boolean;
  /** Account leases, for a store that several processes share (PostgreSQL); absent for the embedded file. */
  readonly leases?: AccountLeases;
  /** Every account of the installation (a shared store); absent for the embedded file (one account). */
  readonly directory?: AccountDirectory;
  meta(): StoreMeta;

  /** Runs `fn` in one transaction: all its writes are kept, or none (it throws). Nests. */
  transaction<T>(fn: () => T): T;

  // Exit plans, by position id (plan.positionId).
  savePlan(plan: ExitPlan): void;
  plan(positionId: string): ExitPlan | null;
  plans(): ExitPlan[];
  deletePlan(positionId: string): boolean;

  // DTMS state, by position id.
  saveDefence(positionId: string, defence: StoredDefence): void;
  defence(positionId: string): StoredDefence | null;
  defences(): Map<string, StoredDefence>;
  deleteDefence(positionId: string): boolean;

  // Decision journal (append-only), oldest first.
  appendDecision(record: DecisionRecord): void;
  /** Appends `records` in their order, as appendDecision one by one would (a server store: one round trip). */
  appendDecisions(records: readonly DecisionRecord[]): void;
  decisionsFor(positionId: string, limit?: number): DecisionRecord[];
  /** The latest `limit` records of any of `positionIds` (the lifetimes of one ticket), oldest first. */
  decisionsOf(positionIds: readonly string[], limit?: number): DecisionRecord[];
  /** The latest `limit` records, oldest first. */
  recentDecisions(limit: number): DecisionRecord[];
  decisionCount(): number;
  /**
   * The seq of the last record appended (0 for an empty journal). Records are only ever appended, with
   * a higher seq each: a page read with `before` at most this + 1 never changes.
   */
  lastDecisionSeq(): number;
  /**
   * One page of the journal, oldest first: the newest `range.limit` records of `filter` inside the
   * range. An index range per position (or for the rule, or of seq): it reads at most `limit` rows per
   * position named, whatever the journal's size.
   */
  decisionPage(filter: JournalFilter, range: JournalRange): JournalDecision[];

  // Intent journal.
  /**
   * Journals an intent as `pending`, BEFORE it is sent. An id already in the journal is refused
   * (StoreError 'duplicate_intent'): the same decision is never sent twice. `at` defaults to intent.time.
   */
  recordIntent(intent: Intent, at?: number): void;
  /**
   * Records the broker's answer (or reconciliation's verdict). Returns false when nothing changed (the
   * same final answer again). Throws StoreError 'unknown_intent' for an id never journaled, and
   * 'intent_conflict' when a final answer would be replaced by a different one. `fill`: the price an
   * applied close, partial close or open was filled at, as the venue answered (kept in the same
   * transaction; schema 8).
   */
  markIntent(id: string, status: IntentAnswer, code: string | null, reason: string, at: number, fill?: number): boolean;
  /** The fills of a position's applied requests (schema 8), in journal order. */
  fillsOf(positionId: string): IntentFill[];
  intent(id: string): StoredIntent | null;
  /** Intents `pending` or `unknown`, in the order they were journaled: reconcile these before acting. */
  unresolvedIntents(): StoredIntent[];
  /** A position's intents in journal order; `only`: those of a rule, kind or status. */
  intentsFor(positionId: string, only?: IntentFilter): StoredIntent[];
  /** Intents journaled at or after `at` (epoch ms), oldest first. */
  intentsSince(at: number): StoredIntent[];
  /**
   * The intents journaled at or after `at` (of `symbol` when given), counted by status, rule and action
   * in the store: a window's statistics without decoding its intents.
   */
  intentCounts(at: number, symbol?: string): IntentCount[];

  // A live session's restart state (schema 3): the managed positions as the broker last showed them,
  // the engine-wide state, and the latest health report (what `warden health` reads).
  savePosition(position: Position, order: number): void;
  /**
   * Several managed positions at once, each as savePlan, saveDefence (deleteDefence for null) and
   * savePosition would save it (a step saves those that changed): a store on a server makes it one
   * round trip per table instead of three per position.
   */
  saveManagedPositions(rows: readonly ManagedPositionRow[]): void;
  /** Every managed position, in evaluation order. */
  positions(): StoredPosition[];
  deletePosition(positionId: string): boolean;
  saveSessionState(state: StoredSessionState): void;
  sessionState(): StoredSessionState | null;
  saveHealth(report: HealthReport): void;
  health(): HealthReport | null;
  /** The embedded paper account (`warden serve` on the default), saved with each step. */
  savePaperAccount(state: StoredPaperAccount): void;
  paperAccount(): StoredPaperAccount | null;
  /** Shadow mode's would-be positions and promotions, saved with each step that changed them. */
  saveShadowBook(book: ShadowBookSnapshot): void;
  shadowBook(): ShadowBookSnapshot | null;
  /** Who runs a live session on this store; null to release. */
  saveSessionOwner(owner: SessionOwner | null): void;
  sessionOwner(): SessionOwner | null;

  // Lifetimes (schema 6), by key. Saving replaces the row with the same key.
  saveLifetime(lifetime: StoredLifetime): void;
  lifetime(key: string): StoredLifetime | null;
  /** The lifetimes of a venue ticket, oldest first. */
  lifetimesOf(ticket: string): StoredLifetime[];
  /** The lifetimes not ended, oldest first. */
  openLifetimes(): StoredLifetime[];

  // Closed trades (schema 8), by lifetime key. Saving replaces the row with the same key.
  saveClosedTrade(trade: ClosedTrade): void;
  closedTrade(key: string): ClosedTrade | null;
  /** The closed lifetimes of a venue ticket, oldest first. */
  closedTradesOf(ticket: string): ClosedTrade[];
  /** A page of closed trades, newest close first (by close time, then key). */
  closedTradePage(query: ClosedTradeQuery): ClosedTrade[];
  /** Lifetimes that ended without a closed trade recorded (a stop before it was, a store older than schema 8), the latest ended first. */
  endedWithoutClosedTrade(limit: number): StoredLifetime[];

  // Plan proposals (schema 9). Saving replaces the row with the same id.
  saveProposal(p: PlanProposal): void;
  proposal(id: string): PlanProposal | null;
  /** The latest first; `status`: only those. */
  proposals(q: { status?: PlanProposal['status']; ticket?: string; limit: number }): PlanProposal[];
  /** How many proposals the store holds (the next id's number). */
  proposalCount(): number;

  // Legacy rules imported from the Python bot, by ticket: the plan is built from one (planFromLegacy)
  // when the position is first seen, because the legacy file lacks the volume and instrument.
  saveLegacyRule(rule: StoredLegacyRule): void;
  legacyRule(positionId: string): StoredLegacyRule | null;
  legacyRules(): StoredLegacyRule[];
  deleteLegacyRule(positionId: string): boolean;

  // Replay checkpoints, by run key (one per run: saving replaces the previous one). Saving is one
  // transaction; the first checkpoint of a run key drops parts left without their checkpoint.
  saveReplayCheckpoint(runKey: string, checkpoint: ReplayCheckpointRecord, at: number): void;
  replayCheckpoint(runKey: string): StoredReplayCheckpoint | null;
  /** The checkpoint's parts, by list then start (read both in one transaction for a consistent view). */
  replayCheckpointParts(runKey: string): ReplayCheckpointPart[];
  /** Deletes the checkpoint and its parts. */
  deleteReplayCheckpoint(runKey: string): boolean;

  /** Closes the store; further calls fail. Calling it again does nothing. */
  close(): void;
}

export type StoreErrorCode =
  /** Opening: the file is not a SQLite database (random bytes, JSON, truncated header). Left untouched. */
  | 'not_sqlite'
  /** Opening: a SQLite database of another application (no Warden meta / another application id). Left untouched. */
  | 'foreign'
  /** Opening: written by a newer Warden (a schema version this build does not know). Left untouched. */
  | 'newer_schema'
  /** Opening: fails SQLite's integrity check; a copy is made beside it, the file is left as it is. */
  | 'corrupt'
  /** Opening or using: the file system or SQLite failed (permissions, missing directory, disk full). */
  | 'io'
  /** Reading: a stored record failed validation (the message names the table and key). */
  | 'invalid_row'
  /** Intent journal: an id journaled twice, an answer for an unknown id, or a final answer changed. */
  | 'duplicate_intent'
  | 'unknown_intent'
  | 'intent_conflict'
  /**
   * Account lease (PostgreSQL store): another live session holds the account (at start), or took it
   * over from this one (an intent journaled after that is refused: the fencing token is no longer ours).
   */
  | 'lease_held'
  | 'lease_lost';

/** A store problem the user can act on: `message` is the whole story (file, what is wrong), no stack needed. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** The file (or location) concerned. */
  readonly location: string;
  /** For 'corrupt': where the copy of the damaged file was saved. */
  readonly backup: string | undefined;

  constructor(code: StoreErrorCode, location: string, message: string, backup?: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.location = location;
    this.backup = backup;
  }
}

/**
 * What a store failure says to a person: the message as SQLite or the file system gave it, led by
 * "the disk is full" when that is the cause (SQLite's SQLITE_FULL reads "database or disk is full",
 * the file system's ENOSPC "no space left on device"; neither names the fix plainly).
 */
export function describeStoreFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || /\bENOSPC\b|no space left on device/i.test(message)) {
    return message.startsWith('the disk is full') ? message : `the disk is full: ${message}`;
  }
  return message;
}

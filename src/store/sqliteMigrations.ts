// The SQLite store's schema, as an ordered list of migrations. Migration N (1-based) takes a store at
// schema N-1 to N; the version is the database's `user_version`, set in the same transaction as the
// migration's changes, so a store is always exactly at one version. Never edit a released migration:
// append a new one (and, when a stored record's shape changes, rewrite the JSON rows in it, so the
// schemas in records.ts keep matching every row).
import type Database from 'better-sqlite3';

export interface Migration {
  /** What it changes, for the record. */
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'meta, plans, dtms_state, decisions, intents, legacy_rules',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- One exit plan per position (ExitPlan as JSON).
        CREATE TABLE plans (
          position_id TEXT PRIMARY KEY,
          symbol      TEXT NOT NULL,
          plan        TEXT NOT NULL
        );

        -- One DTMS record per position (StoredDefence as JSON).
        CREATE TABLE dtms_state (
          position_id TEXT PRIMARY KEY,
          state       TEXT NOT NULL
        );

        -- The decision journal, append-only; seq gives the order.
        CREATE TABLE decisions (
          seq         INTEGER PRIMARY KEY,
          time        INTEGER NOT NULL,
          position_id TEXT NOT NULL,
          rule        TEXT NOT NULL,
          outcome     TEXT NOT NULL,
          reason      TEXT NOT NULL,
          record      TEXT NOT NULL
        );
        CREATE INDEX decisions_by_position ON decisions (position_id, seq);

        -- The intent journal: written before the intent is sent; id is unique (never sent twice).
        CREATE TABLE intents (
          seq         INTEGER PRIMARY KEY,
          id          TEXT NOT NULL UNIQUE,
          position_id TEXT NOT NULL,
          status      TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected', 'unknown')),
          code        TEXT,
          reason      TEXT NOT NULL DEFAULT '',
          recorded_at INTEGER NOT NULL,
          resolved_at INTEGER,
          intent      TEXT NOT NULL
        );
        CREATE INDEX intents_by_position ON intents (position_id, seq);
        CREATE INDEX intents_unresolved ON intents (seq) WHERE status IN ('pending', 'unknown');

        -- Rules imported from the Python bot's intelligent_exits.json, waiting for their position.
        CREATE TABLE legacy_rules (
          position_id TEXT PRIMARY KEY,
          symbol      TEXT NOT NULL,
          source      TEXT NOT NULL,
          imported_at INTEGER NOT NULL,
          notes       TEXT NOT NULL,
          rule        TEXT NOT NULL
        );
      `);
    },
  },
  {
    description: 'replay_checkpoints: where an interrupted `warden replay --store` goes on from',
    up(db) {
      db.exec(`
        -- One checkpoint per replay run (run_key: a hash of everything that determines its output).
        -- next: the bar it goes on from; lines and bytes: decisions.jsonl written before that bar;
        -- checkpoint: the replay's ReplayCheckpoint as plain JSON.
        CREATE TABLE replay_checkpoints (
          run_key    TEXT PRIMARY KEY,
          next       INTEGER NOT NULL,
          lines      INTEGER NOT NULL,
          bytes      INTEGER NOT NULL,
          saved_at   INTEGER NOT NULL,
          checkpoint TEXT NOT NULL
        );
      `);
    },
  },
  {
    description: 'positions, session_state: what a live session needs to restart where it stopped',
    up(db) {
      db.exec(`
        -- The broker's view of each managed position (Position as JSON) and its place in the engine's
        -- evaluation order (ord), so a restarted engine decides in the same order.
        CREATE TABLE positions (
          position_id TEXT PRIMARY KEY,
          symbol      TEXT NOT NULL,
          ord         INTEGER NOT NULL,
          position    TEXT NOT NULL
        );

        -- Account-wide state of a live session, one JSON value per key: 'engine' (the engine's clock,
        -- DTMS hedges, orphaned hedges, counters) and 'health' (the latest health report).
        CREATE TABLE session_state (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    description:
      "replay_checkpoint_parts: what grows with a replay (settled trades, the paper broker's deals...) written once, not in every checkpoint",
    up(db) {
      db.exec(`
        -- The lists of a replay checkpoint that grow with the run (list: trades, deals, realized,
        -- applied_ids), as parts: items is a JSON array of the list's elements from index start on.
        -- By start, a list's parts follow each other from 0 without a hole; a part is rewritten only
        -- when one of its elements changed. Saved and deleted with their run's replay_checkpoints row.
        CREATE TABLE replay_checkpoint_parts (
          run_key TEXT NOT NULL,
          list    TEXT NOT NULL,
          start   INTEGER NOT NULL,
          items   TEXT NOT NULL,
          PRIMARY KEY (run_key, list, start)
        );
        -- Checkpoints saved before this schema hold those lists inline, a form no longer read: the
        -- interrupted replay starts afresh (a checkpoint only saves time).
        DELETE FROM replay_checkpoints;
      `);
    },
  },
  {
    description: 'plans: trailNow (the trader asked to trail before breakeven), false in every existing plan',
    up(db) {
      db.exec(
        `UPDATE plans SET plan = json_set(plan, '$.trailNow', json('false')) WHERE json_extract(plan, '$.trailNow') IS NULL;`,
      );
    },
  },
  {
    description:
      'lifetimes: a managed position from the time Warden first saw it open to the time it saw it gone; plans gain ticket and closedVolume',
    up(db) {
      db.exec(`
        -- One row per lifetime (StoredLifetime as JSON). key: '<ticket>#<n>', n counting the ticket's
        -- lifetimes in this store; ended_at is NULL while the position is open.
        CREATE TABLE lifetimes (
          key      TEXT PRIMARY KEY,
          ticket   TEXT NOT NULL,
          n        INTEGER NOT NULL,
          ended_at INTEGER,
          lifetime TEXT NOT NULL
        );
        CREATE INDEX lifetimes_by_ticket ON lifetimes (ticket, n);
        CREATE INDEX lifetimes_open ON lifetimes (key) WHERE ended_at IS NULL;

        -- The positions this store already manages keep their key (the bare ticket) as a lifetime of
        -- their own (n = 0); their ticket's next lifetime is '<ticket>#1'.
        INSERT INTO lifetimes (key, ticket, n, ended_at, lifetime)
        SELECT position_id, position_id, 0, NULL, json_object(
          'key', position_id, 'ticket', position_id, 'n', 0, 'symbol', symbol,
          'side', json_extract(position, '$.side'), 'openTime', json_extract(position, '$.openTime'),
          'entryPrice', json_extract(position, '$.entryPrice'), 'startedAt', json_extract(position, '$.openTime'),
          'endedAt', json('null'), 'endReason', '')
        FROM positions;

        -- A plan's ticket is its key; the volume it closed is what the venue no longer holds of a
        -- position whose partial is done (the only closes a plan of this schema could have made).
        UPDATE plans SET plan = json_set(plan,
          '$.ticket', position_id,
          '$.closedVolume', CASE WHEN json_extract(plan, '$.partialState') = 1 THEN coalesce(max(0, round(json_extract(plan, '$.initialVolume') - (SELECT json_extract(p.position, '$.volume') FROM positions p WHERE p.position_id = plans.position_id), 8)), 0) ELSE 0 END);
      `);
    },
  },
  {
    description:
      "decisions_by_rule, intents_by_time: a rule's latest decisions (the DTMS actions) and the intents of a time window (statistics) read as one index range each",
    up(db) {
      db.exec(`
        CREATE INDEX decisions_by_rule ON decisions (rule, seq);
        CREATE INDEX intents_by_time ON intents (recorded_at);
      `);
    },
  },
  {
    description:
      "closed_trades, intent_fills: a lifetime after it closed (exit, realized profit, R, and where each came from), and the fills the venue answered Warden's requests with",
    up(db) {
      db.exec(`
        -- One row per closed lifetime (ClosedTrade as JSON), key '<ticket>#<n>' as in lifetimes.
        -- close_time orders the list (newest first), with key to break ties: the page cursor.
        CREATE TABLE closed_trades (
          key        TEXT PRIMARY KEY,
          ticket     TEXT NOT NULL,
          symbol     TEXT NOT NULL,
          close_time INTEGER NOT NULL,
          trade      TEXT NOT NULL
        );
        CREATE INDEX closed_trades_by_close ON closed_trades (close_time, key);
        CREATE INDEX closed_trades_by_symbol ON closed_trades (symbol, close_time, key);
        CREATE INDEX closed_trades_by_ticket ON closed_trades (ticket, key);

        -- The price an applied close, partial close or open was filled at, as the venue answered it,
        -- kept with the answer (intents.id). Intents answered before this schema have none: their
        -- decision's price stands in, said so where it is used.
        CREATE TABLE intent_fills (
          intent_id   TEXT PRIMARY KEY,
          position_id TEXT NOT NULL,
          price       REAL NOT NULL,
          at          INTEGER NOT NULL
        );
        CREATE INDEX intent_fills_by_position ON intent_fills (position_id);
      `);
      // Lifetimes that ended before this schema get their closed trade at the next start of a live
      // session (from the journal and the venue's history): SQL alone cannot say how they ended.
    },
  },
  {
    description:
      'proposals: plan changes proposed for a position (by an agent, the API or a page), tried in shadow until approved or rejected',
    up(db) {
      db.exec(`
        -- One row per proposal (PlanProposal as JSON); seq orders them (newest first in lists).
        CREATE TABLE proposals (
          seq        INTEGER PRIMARY KEY,
          id         TEXT NOT NULL UNIQUE,
          ticket     TEXT NOT NULL,
          status     TEXT NOT NULL,
          proposal   TEXT NOT NULL
        );
        CREATE INDEX proposals_by_status ON proposals (status, seq);
        CREATE INDEX proposals_by_ticket ON proposals (ticket, seq);
      `);
    },
  },
];

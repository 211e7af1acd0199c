// The PostgreSQL store's schema, as an ordered list of migrations, like the SQLite store's: migration N
// (1-based) takes an installation's schema from version N-1 to N, and the version is kept in its
// `meta` table, written in the same transaction as the migration's changes. Never edit a released
// migration: append a new one.
//
// One PostgreSQL schema holds one installation: every account's rows, each table keyed by `account`
// first, so several processes (and machines) serve the accounts of one installation. Text columns
// that order or key rows use the "C" collation: byte order, as SQLite compares, so both stores list
// rows in the same order. Records are kept as JSON text exactly as written (the plain-JSON encoding of
// records.ts: NaN and infinities tagged), not jsonb, which would rewrite numbers and key order.
import type { PostgresConnection } from './postgresConnection.ts';

export interface PostgresMigration {
  description: string;
  /** The statements, run with the installation's schema first in the search path. */
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    description:
      'an installation: meta, leases, and per account: plans, dtms_state, decisions, intents, intent_fills, legacy_rules, positions, session_state, lifetimes, closed_trades, proposals, replay checkpoints',
    sql: `
      CREATE TABLE meta (
        key   text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
      );

      -- One live owner per account across processes and machines: the holder renews before expires_at
      -- (epoch ms, the database's clock); token grows by one at every change of holder, and each
      -- journaled intent carries the token it was journaled under (intents.lease_token).
      CREATE TABLE leases (
        account     text COLLATE "C" PRIMARY KEY,
        holder      text NOT NULL,
        token       bigint NOT NULL,
        acquired_at bigint NOT NULL,
        renewed_at  bigint NOT NULL,
        expires_at  bigint NOT NULL,
        -- Where the holder serves this account's dashboard and API (null until it listens).
        endpoint    text
      );

      CREATE TABLE plans (
        account     text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        symbol      text NOT NULL,
        plan        text NOT NULL,
        PRIMARY KEY (account, position_id)
      );

      CREATE TABLE dtms_state (
        account     text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        state       text NOT NULL,
        PRIMARY KEY (account, position_id)
      );

      CREATE TABLE decisions (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account     text COLLATE "C" NOT NULL,
        time        bigint NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        rule        text COLLATE "C" NOT NULL,
        outcome     text NOT NULL,
        reason      text NOT NULL,
        record      text NOT NULL
      );
      CREATE INDEX decisions_by_account ON decisions (account, seq);
      CREATE INDEX decisions_by_position ON decisions (account, position_id, seq);
      CREATE INDEX decisions_by_rule ON decisions (account, rule, seq);

      CREATE TABLE intents (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account     text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        status      text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'applied', 'rejected', 'unknown')),
        code        text,
        reason      text NOT NULL DEFAULT '',
        recorded_at bigint NOT NULL,
        resolved_at bigint,
        lease_token bigint,
        intent      text NOT NULL,
        UNIQUE (account, id)
      );
      CREATE INDEX intents_by_position ON intents (account, position_id, seq);
      CREATE INDEX intents_unresolved ON intents (account, seq) WHERE status IN ('pending', 'unknown');
      CREATE INDEX intents_by_time ON intents (account, recorded_at);

      CREATE TABLE intent_fills (
        account     text COLLATE "C" NOT NULL,
        intent_id   text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        price       double precision NOT NULL,
        at          bigint NOT NULL,
        PRIMARY KEY (account, intent_id)
      );
      CREATE INDEX intent_fills_by_position ON intent_fills (account, position_id);

      CREATE TABLE legacy_rules (
        account     text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        symbol      text NOT NULL,
        source      text NOT NULL,
        imported_at bigint NOT NULL,
        notes       text NOT NULL,
        rule        text NOT NULL,
        PRIMARY KEY (account, position_id)
      );

      CREATE TABLE positions (
        account     text COLLATE "C" NOT NULL,
        position_id text COLLATE "C" NOT NULL,
        symbol      text NOT NULL,
        ord         bigint NOT NULL,
        position    text NOT NULL,
        PRIMARY KEY (account, position_id)
      );

      CREATE TABLE session_state (
        account text COLLATE "C" NOT NULL,
        key     text COLLATE "C" NOT NULL,
        value   text NOT NULL,
        PRIMARY KEY (account, key)
      );

      -- seq: the order lifetimes were first saved in (the open ones are listed in it).
      CREATE TABLE lifetimes (
        seq      bigint GENERATED ALWAYS AS IDENTITY,
        account  text COLLATE "C" NOT NULL,
        key      text COLLATE "C" NOT NULL,
        ticket   text COLLATE "C" NOT NULL,
        n        bigint NOT NULL,
        ended_at bigint,
        lifetime text NOT NULL,
        PRIMARY KEY (account, key)
      );
      CREATE INDEX lifetimes_by_ticket ON lifetimes (account, ticket, n);
      CREATE INDEX lifetimes_open ON lifetimes (account, seq) WHERE ended_at IS NULL;

      CREATE TABLE closed_trades (
        account    text COLLATE "C" NOT NULL,
        key        text COLLATE "C" NOT NULL,
        ticket     text COLLATE "C" NOT NULL,
        symbol     text COLLATE "C" NOT NULL,
        close_time bigint NOT NULL,
        trade      text NOT NULL,
        PRIMARY KEY (account, key)
      );
      CREATE INDEX closed_trades_by_close ON closed_trades (account, close_time, key);
      CREATE INDEX closed_trades_by_symbol ON closed_trades (account, symbol, close_time, key);
      CREATE INDEX closed_trades_by_ticket ON closed_trades (account, ticket, key);

      CREATE TABLE proposals (
        seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account  text COLLATE "C" NOT NULL,
        id       text COLLATE "C" NOT NULL,
        ticket   text COLLATE "C" NOT NULL,
        status   text COLLATE "C" NOT NULL,
        proposal text NOT NULL,
        UNIQUE (account, id)
      );
      CREATE INDEX proposals_by_status ON proposals (account, status, seq);
      CREATE INDEX proposals_by_ticket ON proposals (account, ticket, seq);

      CREATE TABLE replay_checkpoints (
        account    text COLLATE "C" NOT NULL,
        run_key    text COLLATE "C" NOT NULL,
        next       bigint NOT NULL,
        lines      bigint NOT NULL,
        bytes      bigint NOT NULL,
        saved_at   bigint NOT NULL,
        checkpoint text NOT NULL,
        PRIMARY KEY (account, run_key)
      );

      CREATE TABLE replay_checkpoint_parts (
        account text COLLATE "C" NOT NULL,
        run_key text COLLATE "C" NOT NULL,
        list    text COLLATE "C" NOT NULL,
        start   bigint NOT NULL,
        items   text NOT NULL,
        PRIMARY KEY (account, run_key, list, start)
      );
    `,
  },
];

/** The tables an installation has after all of POSTGRES_MIGRATIONS (one missing: a damaged installation). Keep with the list. */
export const POSTGRES_TABLES = [
  'meta',
  'leases',
  'plans',
  'dtms_state',
  'decisions',
  'intents',
  'intent_fills',
  'legacy_rules',
  'positions',
  'session_state',
  'lifetimes',
  'closed_trades',
  'proposals',
  'replay_checkpoints',
  'replay_checkpoint_parts',
] as const;

/** Applies migrations `from`+1.. in the caller's transaction, the schema's version written with them. */
export function applyPostgresMigrations(
  conn: PostgresConnection,
  from: number,
  migrations: readonly PostgresMigration[],
): void {
  for (let v = from; v < migrations.length; v++) conn.exec(migrations[v]!.sql);
  conn.rows(
    "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [String(migrations.length)],
  );
}

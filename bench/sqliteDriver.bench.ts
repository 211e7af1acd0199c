// `npm run bench:sqlite`: the store's typical work on the two SQLite drivers Node can use, better-sqlite3
// (what src/store/sqliteStore.ts uses) and Node's built-in node:sqlite, on the same file settings (WAL,
// synchronous=NORMAL) and the store's own statements: the per-bar transaction of a replay or a live
// session (a decision appended, the plan and the DTMS state upserted), a long journal write in one
// transaction, point reads of a plan, and journal pages (newest 100). Each run opens a fresh file.
// Prints figures only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import Database from 'better-sqlite3';

const SCALE = Number(process.env.BENCH_SQLITE_SCALE ?? 1);
const BAR_TRANSACTIONS = Math.round(20_000 * SCALE);
const JOURNAL_ROWS = Math.round(100_000 * SCALE);
const POINT_READS = Math.round(200_000 * SCALE);
const PAGE_READS = Math.round(5_000 * SCALE);
const POSITIONS = 1_000;

const SCHEMA = `
  CREATE TABLE plans (position_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, plan TEXT NOT NULL);
  CREATE TABLE dtms_state (position_id TEXT PRIMARY KEY, state TEXT NOT NULL);
  CREATE TABLE decisions (
    seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, position_id TEXT NOT NULL, rule TEXT NOT NULL,
    outcome TEXT NOT NULL, reason TEXT NOT NULL, record TEXT NOT NULL
  );
  CREATE INDEX decisions_by_position ON decisions (position_id, seq);`;
const PLAN_PUT =
  'INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?) ON CONFLICT (position_id) DO UPDATE SET symbol = excluded.symbol, plan = excluded.plan';
const PLAN_GET = 'SELECT plan FROM plans WHERE position_id = ?';
const DEFENCE_PUT =
  'INSERT INTO dtms_state (position_id, state) VALUES (?, ?) ON CONFLICT (position_id) DO UPDATE SET state = excluded.state';
const DECISION_ADD =
  'INSERT INTO decisions (time, position_id, rule, outcome, reason, record) VALUES (?, ?, ?, ?, ?, ?)';
const DECISIONS_RECENT =
  'SELECT seq, record FROM (SELECT seq, record FROM decisions ORDER BY seq DESC LIMIT ?) ORDER BY seq';

// Records the size of the store's JSON (a decision ~350 bytes, a plan ~600, a DTMS state ~450).
const decision = (i: number) =>
  JSON.stringify({
    time: 1_700_000_000_000 + i * 60_000,
    positionId: `p${i % POSITIONS}`,
    rule: 'trailing',
    outcome: 'modify',
    reason: 'atr trail moved the stop behind the close',
    sl: 2400 + (i % 97) / 10,
    padding: 'x'.repeat(220),
  });
const plan = (i: number) =>
  JSON.stringify({
    positionId: `p${i % POSITIONS}`,
    symbol: 'XAUUSD',
    breakeven: { atR: 1, lockPips: 2 },
    partials: [{ atR: 1.5, closePct: 50 }],
    trailing: { atrPeriod: 14, multiple: 2.5 },
    padding: 'y'.repeat(440),
  });
const state = (i: number) =>
  JSON.stringify({
    positionId: `p${i % POSITIONS}`,
    state: 'guarded',
    since: i,
    checks: { fast: i % 7, deep: i % 3 },
    padding: 'z'.repeat(340),
  });

/** The few calls the work needs, over either driver. */
interface Driver {
  run(sql: string): (...args: (string | number)[]) => void;
  get(sql: string): (...args: (string | number)[]) => unknown;
  all(sql: string): (...args: (string | number)[]) => unknown[];
  transaction(fn: () => void): void;
  close(): void;
}

function betterSqlite3(file: string): Driver {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return {
    run: (sql) => {
      const s = db.prepare(sql);
      return (...a) => void s.run(...a);
    },
    get: (sql) => {
      const s = db.prepare(sql);
      return (...a) => s.get(...a);
    },
    all: (sql) => {
      const s = db.prepare(sql);
      return (...a) => s.all(...a);
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

function nodeSqlite(file: string): Driver {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  db.exec(SCHEMA);
  return {
    run: (sql) => {
      const s = db.prepare(sql);
      return (...a) => void s.run(...a);
    },
    get: (sql) => {
      const s = db.prepare(sql);
      return (...a) => s.get(...a);
    },
    all: (sql) => {
      const s = db.prepare(sql);
      return (...a) => s.all(...a);
    },
    // What better-sqlite3's db.transaction does for a top-level call: BEGIN, the work, COMMIT or ROLLBACK.
    transaction: (fn) => {
      db.exec('BEGIN');
      try {
        fn();
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
    close: () => db.close(),
  };
}

interface Figures {
  barTx: number;
  journal: number;
  pointReads: number;
  pages: number;
}

function work(open: (file: string) => Driver): Figures {
  const dir = mkdtempSync(join(tmpdir(), 'warden-sqlite-bench-'));
  try {
    const d = open(join(dir, 'store.sqlite'));
    const planPut = d.run(PLAN_PUT);
    const defencePut = d.run(DEFENCE_PUT);
    const decisionAdd = d.run(DECISION_ADD);
    const planGet = d.get(PLAN_GET);
    const recent = d.all(DECISIONS_RECENT);
    const seconds = (fn: () => void) => {
      const t0 = process.hrtime.bigint();
      fn();
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    const barTx = seconds(() => {
      for (let i = 0; i < BAR_TRANSACTIONS; i++) {
        d.transaction(() => {
          decisionAdd(
            1_700_000_000_000 + i * 60_000,
            `p${i % POSITIONS}`,
            'trailing',
            'modify',
            'atr trail',
            decision(i),
          );
          planPut(`p${i % POSITIONS}`, 'XAUUSD', plan(i));
          defencePut(`p${i % POSITIONS}`, state(i));
        });
      }
    });
    const journal = seconds(() => {
      d.transaction(() => {
        for (let i = 0; i < JOURNAL_ROWS; i++)
          decisionAdd(
            1_700_000_000_000 + i * 60_000,
            `p${i % POSITIONS}`,
            'trailing',
            'modify',
            'atr trail',
            decision(i),
          );
      });
    });
    let bytes = 0;
    const pointReads = seconds(() => {
      for (let i = 0; i < POINT_READS; i++)
        bytes += (planGet(`p${(i * 7919) % POSITIONS}`) as { plan: string }).plan.length;
    });
    const pages = seconds(() => {
      for (let i = 0; i < PAGE_READS; i++) bytes += recent(100).length;
    });
    d.close();
    if (bytes === 0) throw new Error('nothing read');
    return { barTx, journal, pointReads, pages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  `sqlite drivers on node ${process.version} (WAL, synchronous=NORMAL; better-sqlite3 SQLite ${String((new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v)}, node:sqlite SQLite ${process.versions.sqlite ?? '?'})`,
);
const DRIVERS = [
  ['better-sqlite3', betterSqlite3],
  ['node:sqlite', nodeSqlite],
] as const;
// The machine may be shared: the drivers take turns, ROUNDS times after a warm-up, and each figure is
// the best of its rounds.
const ROUNDS = Number(process.env.BENCH_SQLITE_ROUNDS ?? 3);
for (const [, open] of DRIVERS) work(open);
const best = DRIVERS.map(
  (): Figures => ({ barTx: Infinity, journal: Infinity, pointReads: Infinity, pages: Infinity }),
);
for (let r = 0; r < ROUNDS; r++) {
  DRIVERS.forEach(([, open], k) => {
    const f = work(open);
    const b = best[k]!;
    for (const key of Object.keys(b) as (keyof Figures)[]) b[key] = Math.min(b[key], f[key]);
  });
}
DRIVERS.forEach(([name], k) => {
  const f = best[k]!;
  console.log(
    `${name.padEnd(15)} per-bar transactions (3 writes): ${fmt(BAR_TRANSACTIONS / f.barTx)}/s | journal in one transaction: ${fmt(JOURNAL_ROWS / f.journal)} rows/s | plan point reads: ${fmt(POINT_READS / f.pointReads)}/s | journal pages of 100: ${fmt(PAGE_READS / f.pages)}/s`,
  );
});

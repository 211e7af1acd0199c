// The SQLite store on real files under the OS temp dir: round trips of every record type, the intent
// journal's guards, migrations, WAL durability across a SIGKILL, and every refusal at open (the file
// left byte-for-byte as it was).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { Intent } from '../../src/domain/types.ts';
import { configSchema } from '../../src/config/schema.ts';
import { newDefensiveState } from '../../src/dtms/defensiveState.ts';
import { newDtmsScore } from '../../src/dtms/signalScore.ts';
import type { EngineSnapshot } from '../../src/engine/engineState.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink, newDecisionRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { SimBook } from '../support/simBook.ts';
import type { ExitPlan } from '../../src/exits/exitPlan.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';
import { openSqliteStore, WARDEN_APPLICATION_ID } from '../../src/store/sqliteStore.ts';
import { MIGRATIONS, type Migration } from '../../src/store/sqliteMigrations.ts';
import { StoreError, type StoredDefence, type StoreErrorCode } from '../../src/store/store.ts';

const root = mkdtempSync(join(tmpdir(), 'warden-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh directory per test, so "no file was added beside it" can be checked. */
function freshDir(): string {
  const d = join(root, `t${++n}`);
  mkdirSync(d);
  return d;
}
const fresh = (name = 'warden.db') => join(freshDir(), name);

const NOW = Date.UTC(2025, 2, 14, 9, 30);
const cfg = defaultConfig();

function plan(id: string, over: Partial<ExitPlan> = {}): ExitPlan {
  const p = parseLegacyRule(id, {
    ticket: id,
    symbol: 'XAUUSDc',
    entry_price: 2400,
    direction: 'buy',
    initial_sl: 2390,
    initial_tp: 2420,
  });
  if (!p.ok) throw new Error(p.reason);
  return { ...planFromLegacy(p.rule, instrumentFromConfig(cfg, 'XAUUSDc'), 0.3, NOW), ...over };
}

function intent(id: string, positionId = '1', over: Partial<Intent> = {}): Intent {
  return {
    id,
    positionId,
    symbol: 'XAUUSDc',
    kind: 'move_stop',
    rule: 'breakeven',
    episode: 1,
    newSl: 2400.5,
    oldSl: null,
    volume: 0,
    time: NOW,
    price: 2406.1,
    reason: 'breakeven',
    targetId: positionId,
    side: 'buy',
    comment: '',
    action: '',
    ...over,
  };
}

function decision(positionId: string, time: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    ...newDecisionRecord(),
    time,
    positionId,
    symbol: 'XAUUSDc',
    rule: 'trail',
    outcome: 'skip',
    reason: 'below_min_change',
    changed: true,
    ...over,
  };
}

/** The StoreError `fn` throws (fails the test if it throws something else or nothing). */
function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('SqliteStore: opening and meta', () => {
  it('creates a missing file: WAL, Warden application id, schema version and meta', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW, createdBy: 'warden test' });
    expect(s.meta()).toEqual({
      schemaVersion: MIGRATIONS.length,
      createdBy: 'warden test',
      createdAt: '2025-03-14T09:30:00.000Z',
    });
    s.savePlan(plan('1'));
    expect(existsSync(`${file}-wal`)).toBe(true); // WAL: the commit is in the -wal until a checkpoint
    s.close();
    s.close(); // twice is fine
    const head = readFileSync(file).subarray(0, 100);
    expect(head.readUInt32BE(68)).toBe(WARDEN_APPLICATION_ID);
    expect(head.readUInt32BE(60)).toBe(MIGRATIONS.length); // user_version
    expect([head[18], head[19]]).toEqual([2, 2]); // WAL mode recorded in the header
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db']); // no temp file left
  });

  it('an empty (0-byte) file becomes a new store with every migration applied', () => {
    const file = fresh();
    writeFileSync(file, '');
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    s.close();
    const db = new Database(file, { readonly: true });
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    expect(tables).toEqual([
      'closed_trades',
      'decisions',
      'dtms_state',
      'intent_fills',
      'intents',
      'legacy_rules',
      'lifetimes',
      'meta',
      'plans',
      'positions',
      'proposals',
      'replay_checkpoint_parts',
      'replay_checkpoints',
      'session_state',
    ]);
  });

  it('read-only: a missing file is not created; an existing store is read, not written, and nothing is left beside it', () => {
    const file = fresh();
    expect(storeError(() => openSqliteStore(file, { now: NOW, readonly: true })).code).toBe('io');
    expect(existsSync(file)).toBe(false);
    const w = openSqliteStore(file, { now: NOW });
    w.savePlan(plan('1'));
    w.close();
    const bytes = readFileSync(file);
    const r = openSqliteStore(file, { now: NOW, readonly: true });
    expect(r.plan('1')?.positionId).toBe('1');
    expect(() => r.savePlan(plan('2'))).toThrow(/readonly/);
    r.close();
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(join(file, '..'))).toEqual(['warden.db']);
  });

  it('migrations run in order at open, keep the data, and a newer schema is refused', () => {
    const file = fresh();
    const v1 = openSqliteStore(file, { now: NOW });
    v1.savePlan(plan('7'));
    v1.close();

    const m2: Migration = {
      description: 'test: notes table',
      up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'),
    };
    const v2 = openSqliteStore(file, { now: NOW, migrations: [...MIGRATIONS, m2] });
    expect(v2.meta().schemaVersion).toBe(MIGRATIONS.length + 1);
    expect(v2.plan('7')?.positionId).toBe('7');
    v2.close();

    // This build (MIGRATIONS only) does not know schema N+1.
    const before = readFileSync(file);
    const listing = readdirSync(join(file, '..'));
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe('newer_schema');
    expect(e.message).toBe(
      `${file} was created by a newer Warden (schema ${MIGRATIONS.length + 1}, this build knows up to ${MIGRATIONS.length}); refusing to open it; the file was left untouched`,
    );
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(join(file, '..'))).toEqual(listing); // no -wal or -shm left by the look inside
  });

  it('a failing migration leaves the store at its previous version', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW }).close();
    const bad: Migration = {
      description: 'test: fails half-way',
      up: (db) => {
        db.exec('CREATE TABLE half (x)');
        throw new Error('boom');
      },
    };
    expect(storeError(() => openSqliteStore(file, { now: NOW, migrations: [...MIGRATIONS, bad] })).code).toBe('io');
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    s.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('SqliteStore: records round trip', () => {
  it('plans: save, overwrite, list, delete; NaN and a pending intent survive', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    const a = plan('100', { initialSl: NaN, risk: NaN, trailingMultiplier: 1.5 });
    const b = plan('200', {
      breakevenState: 1,
      breakevenReason: 'confirmed',
      pending: {
        id: '200:trail:1',
        kind: 'move_stop',
        rule: 'trail',
        oldSl: null,
        newSl: 2410,
        volume: 0,
        volumeBefore: 0.3,
        time: NOW,
        targetId: '200',
        comment: '',
        action: '',
      },
    });
    s.savePlan(a);
    s.savePlan(b);
    expect(s.plan('100')).toEqual(a);
    expect(Number.isNaN(s.plan('100')!.initialSl)).toBe(true);
    expect(s.plan('200')).toEqual(b);
    expect(s.plan('nope')).toBeNull();
    s.savePlan({ ...b, trailMoves: 3 });
    expect(s.plan('200')!.trailMoves).toBe(3);
    expect(s.plans().map((p) => p.positionId)).toEqual(['100', '200']);
    expect(s.deletePlan('100')).toBe(true);
    expect(s.deletePlan('100')).toBe(false);
    s.close();
    const again = openSqliteStore(file, { now: NOW });
    expect(again.plans()).toEqual([{ ...b, trailMoves: 3 }]);
    again.close();
  });

  it('DTMS state: save, load, list, delete (NaN timers and a null regime kept)', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const d: StoredDefence = {
      tracked: {
        state: {
          ...newDefensiveState('5', NOW),
          state: 'HEDGED',
          episode: 1,
          actionsThisEpisode: 10,
          flatTimerStart: NOW,
          ownsStop: true,
        },
        initialRisk: 10,
        vwapCrosses: 2,
        lastFast: NOW,
        lastDeep: NOW - 900_000,
        cooldownUntil: NaN,
        closedVolume: 0.1,
        hedgeId: '6',
        hedgeVolume: 0.05,
        score: { ...newDtmsScore(), total: -6.5, confluence: 'ADVERSE', vwapFlipAgainst: true },
        regime: { session: 'LONDON', volatility: 'HIGH', structure: 'TREND' },
        checkedAt: NOW - 900_000,
      },
      queue: ['close_hedge', 'close_all'],
      attempts: 1,
      lastRefusal: 'requote',
      ownsStop: true,
      disabled: { at: NOW - 60_000, reason: 'managed by hand' },
    };
    s.saveDefence('5', d);
    expect(s.defence('5')).toEqual(d);
    expect(s.defence('5')!.tracked.state.recoveryTimerStart).toBeNaN();
    const healthy: StoredDefence = {
      ...d,
      tracked: { ...d.tracked, state: newDefensiveState('9', NOW), hedgeId: null, regime: null },
      queue: [],
      disabled: null,
    };
    s.saveDefence('9', healthy);
    expect([...s.defences().keys()]).toEqual(['5', '9']);
    expect(s.defence('9')).toEqual(healthy);
    // A defence stored before positions could be taken out of DTMS's hands is defended.
    const { disabled: _, ...older } = healthy;
    s.saveDefence('10', older as StoredDefence);
    expect(s.defence('10')?.disabled).toBeNull();
    expect(s.deleteDefence('5')).toBe(true);
    expect(s.defence('5')).toBeNull();
    s.close();
  });

  it("the engine's own state goes through the store unchanged: plans, DTMS snapshots, decisions, intents", () => {
    const cfg2 = configSchema.parse({});
    const sink = new ArraySink();
    const engine = new ExitEngine(cfg2, { baseTimeframe: 'M1', sink });
    const inst = instrumentFromConfig(cfg2, 'XAUUSDc');
    engine.addInstrument(inst);
    const book = new SimBook(engine, inst);
    const bars = generateSampleMarket({ seed: 11, bars: 5000, ...SAMPLE_SHAPES.XAUUSD! }).bars;
    const sent: Intent[] = [];
    let snap: EngineSnapshot | null = null;
    let n = 0;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i]!;
      sent.push(...book.step(bar));
      if (i >= 1500 && (i - 1500) % 60 === 0) {
        const side = n % 2 === 0 ? 'buy' : 'sell';
        const s = side === 'buy' ? 1 : -1;
        const entry = bar.close;
        const dist = Math.max(engine.features('XAUUSDc').atr, 0.5) * 1.5;
        book.open(
          {
            id: `p${++n}`,
            symbol: 'XAUUSDc',
            side,
            volume: 0.2,
            entryPrice: entry,
            sl: entry - s * dist,
            tp: entry + s * 2 * dist,
            openTime: bar.time + 60_000,
            comment: '',
          },
          bar.time + 60_000,
        );
      }
      const now = engine.snapshot();
      if (now.positions.some((p) => p.defence !== null && p.defence.tracked.state.state !== 'HEALTHY')) snap = now;
    }
    expect(snap).not.toBeNull();
    expect(sent.length).toBeGreaterThan(20);

    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.transaction(() => {
      for (const p of snap!.positions) {
        s.savePlan(p.plan);
        if (p.defence !== null) s.saveDefence(p.position.id, p.defence);
      }
      for (const r of sink.records) s.appendDecision(r);
      for (const it of sent) s.recordIntent(it);
    });
    s.close();

    const back = openSqliteStore(file, { now: NOW });
    for (const p of snap!.positions) {
      expect(back.plan(p.position.id)).toEqual(p.plan);
      expect(back.defence(p.position.id)).toEqual(p.defence);
    }
    expect(back.decisionCount()).toBe(sink.records.length);
    expect(back.recentDecisions(sink.records.length)).toEqual(sink.records);
    expect(back.unresolvedIntents().map((x) => x.intent)).toEqual(sent);
    back.close();
  });

  it('decision journal: per position and latest N, oldest first, NaN kept', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.transaction(() => {
      for (let i = 0; i < 10; i++)
        s.appendDecision(decision(i % 2 === 0 ? 'A' : 'B', NOW + i * 60_000, { newSl: 2400 + i }));
    });
    expect(s.decisionCount()).toBe(10);
    expect(s.decisionsFor('A').map((r) => r.newSl)).toEqual([2400, 2402, 2404, 2406, 2408]);
    expect(s.decisionsFor('B', 2).map((r) => r.newSl)).toEqual([2407, 2409]);
    expect(s.recentDecisions(3).map((r) => r.newSl)).toEqual([2407, 2408, 2409]);
    const first = s.decisionsFor('A')[0]!;
    expect(first).toEqual(decision('A', NOW, { newSl: 2400 }));
    expect(Number.isNaN(first.atr)).toBe(true);
    expect(s.decisionsFor('nobody')).toEqual([]);
    s.close();
  });

  it('legacy rules: save, load, list, delete', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const p = parseLegacyRule('42', {
      ticket: 42,
      symbol: 'BTCUSDc',
      entry_price: 60000,
      direction: 'SELL',
      initial_sl: 61000,
      initial_tp: 0,
      breakeven_profit_pct: 0.3,
    });
    if (!p.ok) throw new Error(p.reason);
    s.saveLegacyRule({ positionId: '42', rule: p.rule, notes: p.notes, source: 'x.json', importedAt: NOW });
    expect(s.legacyRule('42')).toEqual({
      positionId: '42',
      rule: p.rule,
      notes: p.notes,
      source: 'x.json',
      importedAt: NOW,
    });
    expect(s.legacyRule('42')!.rule.breakeven_profit_pct).toBe(30);
    expect(s.legacyRules()).toHaveLength(1);
    expect(s.deleteLegacyRule('42')).toBe(true);
    expect(s.legacyRules()).toEqual([]);
    s.close();
  });

  it('lifetimes: by key, by ticket in order, the open ones; decisions of several lifetimes of a ticket', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const base = {
      ticket: '9',
      symbol: 'XAUUSDc',
      side: 'buy' as const,
      openTime: NOW,
      entryPrice: 2400,
      startedAt: NOW,
      endReason: '',
    };
    s.saveLifetime({ ...base, key: '9#1', n: 1, endedAt: null });
    s.saveLifetime({ ...base, key: '9#1', n: 1, endedAt: NOW + 5, endReason: 'gone from the venue (closed)' });
    s.saveLifetime({ ...base, key: '9#2', n: 2, endedAt: null, openTime: NOW + 9 });
    expect(s.lifetime('9#1')).toMatchObject({ endedAt: NOW + 5, endReason: 'gone from the venue (closed)' });
    expect(s.lifetimesOf('9').map((l) => l.key)).toEqual(['9#1', '9#2']);
    expect(s.openLifetimes().map((l) => l.key)).toEqual(['9#2']);
    expect(s.lifetime('nope')).toBeNull();
    s.appendDecision(decision('9#1', NOW));
    s.appendDecision(decision('8#1', NOW + 1));
    s.appendDecision(decision('9#2', NOW + 2));
    s.appendDecision(decision('9#2', NOW + 3));
    expect(s.decisionsOf(['9#1', '9#2']).map((r) => [r.positionId, r.time - NOW])).toEqual([
      ['9#1', 0],
      ['9#2', 2],
      ['9#2', 3],
    ]);
    expect(s.decisionsOf(['9#1', '9#2'], 2).map((r) => r.time - NOW)).toEqual([2, 3]);
    s.close();
  });

  it('a store at schema 5 with managed positions: each becomes a lifetime under its bare ticket, its plan gains ticket and closed volume', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW, migrations: MIGRATIONS.slice(0, 5) }).close();
    // Rows as a schema-5 build wrote them: plans without ticket or closedVolume.
    const db = new Database(file);
    const old = (id: string, partialState: number) => {
      const {
        ticket: _t,
        closedVolume: _c,
        restoreSl: _r,
        restoreEpisode: _e,
        breakevenR: _b,
        strategy: _s,
        strategySource: _ss,
        templateTrailingMultiplier: _tm,
        templateBufferMultiplier: _bm,
        trailTimeframe: _tf,
        ...p
      } = plan(id, { partialState, initialVolume: 1 });
      return JSON.stringify(p);
    };
    db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?)').run('501', 'XAUUSDc', old('501', 1));
    db.prepare('INSERT INTO plans (position_id, symbol, plan) VALUES (?, ?, ?)').run('502', 'XAUUSDc', old('502', 0));
    const position = (id: string, volume: number) =>
      JSON.stringify({
        id,
        symbol: 'XAUUSDc',
        side: 'buy',
        volume,
        entryPrice: 2400,
        sl: 2390,
        tp: 2420,
        openTime: NOW - 60_000,
        comment: '',
      });
    db.prepare('INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?)').run(
      '501',
      'XAUUSDc',
      0,
      position('501', 0.3),
    );
    db.prepare('INSERT INTO positions (position_id, symbol, ord, position) VALUES (?, ?, ?, ?)').run(
      '502',
      'XAUUSDc',
      1,
      position('502', 1),
    );
    db.close();
    const s = openSqliteStore(file, { now: NOW });
    expect(s.meta().schemaVersion).toBe(MIGRATIONS.length);
    expect(s.openLifetimes()).toEqual([
      {
        key: '501',
        ticket: '501',
        n: 0,
        symbol: 'XAUUSDc',
        side: 'buy',
        openTime: NOW - 60_000,
        entryPrice: 2400,
        startedAt: NOW - 60_000,
        endedAt: null,
        endReason: '',
      },
      {
        key: '502',
        ticket: '502',
        n: 0,
        symbol: 'XAUUSDc',
        side: 'buy',
        openTime: NOW - 60_000,
        entryPrice: 2400,
        startedAt: NOW - 60_000,
        endedAt: null,
        endReason: '',
      },
    ]);
    expect(s.plan('501')).toMatchObject({ positionId: '501', ticket: '501', closedVolume: 0.7 });
    expect(s.plan('502')).toMatchObject({ positionId: '502', ticket: '502', closedVolume: 0 });
    s.close();
  });

  it('the paper account of `warden serve` round-trips', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    expect(s.paperAccount()).toBeNull();
    const state = {
      account: {
        symbols: [
          {
            symbol: 'XAUUSDc',
            closedProfit: 12.5,
            broker: {
              nextTicket: 100004,
              quote: { time: NOW, bid: 2400, ask: 2400.3 },
              book: [
                {
                  id: '100003',
                  side: 'buy' as const,
                  lots: 30,
                  entry: 2399,
                  sl: 2390,
                  tp: null,
                  openTime: NOW - 60_000,
                  comment: 'demo',
                },
              ],
              realized: [['100003', -1.5]] as [string, number][],
              appliedIds: ['100003#1:partial:1'],
              audit: {
                requests: 3,
                applied: 3,
                duplicateIds: 0,
                loosened: 0,
                overClose: 0,
                faults: { reject: 0, requote: 0, timeout: 0 },
              },
              deals: [],
              faultState: null,
            },
          },
        ],
      },
      market: { seed: 1, symbols: ['XAUUSDc'], start: NOW - 3_600_000, warmupMinutes: 60, position: 1234, clock: NOW },
    };
    s.savePaperAccount(state);
    expect(s.paperAccount()).toEqual(state);
    s.close();
  });
});

describe('SqliteStore: intent journal', () => {
  it('records pending before sending, then the answer; an id recorded twice is refused', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    const a = intent('1:breakeven:1');
    s.recordIntent(a);
    expect(s.intent(a.id)).toEqual({
      intent: a,
      status: 'pending',
      code: null,
      reason: '',
      recordedAt: NOW,
      resolvedAt: null,
    });

    const dup = storeError(() => s.recordIntent(a));
    expect(dup.code).toBe('duplicate_intent');
    expect(dup.message).toContain('1:breakeven:1');

    expect(s.markIntent(a.id, 'applied', '10009', 'done', NOW + 500)).toBe(true);
    expect(s.intent(a.id)).toMatchObject({ status: 'applied', code: '10009', reason: 'done', resolvedAt: NOW + 500 });
    // Still refused once applied: never sent twice.
    expect(storeError(() => s.recordIntent(a)).code).toBe('duplicate_intent');
    // The same answer again changes nothing; a different final answer is a conflict.
    expect(s.markIntent(a.id, 'applied', '10009', 'done', NOW + 900)).toBe(false);
    expect(s.intent(a.id)!.resolvedAt).toBe(NOW + 500);
    expect(storeError(() => s.markIntent(a.id, 'rejected', '10006', 'late', NOW + 900)).code).toBe('intent_conflict');
    expect(storeError(() => s.markIntent('never', 'applied', null, '', NOW)).code).toBe('unknown_intent');
    s.close();

    // The refusal outlives a restart.
    const again = openSqliteStore(file, { now: NOW });
    expect(storeError(() => again.recordIntent(a)).code).toBe('duplicate_intent');
    again.close();
  });

  it('unresolvedIntents: pending and unknown ones, in journal order; unknown can still be resolved', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    const ids = ['1:breakeven:1', '2:partial:1', '3:trail:4', '4:dtms:1:open_hedge'];
    s.recordIntent(intent(ids[0]!, '1'));
    s.recordIntent(intent(ids[1]!, '2', { kind: 'close_partial', rule: 'partial', volume: 0.1, newSl: NaN }), NOW + 1);
    s.recordIntent(intent(ids[2]!, '3'));
    s.recordIntent(
      intent(ids[3]!, '4', {
        kind: 'open',
        rule: 'dtms',
        targetId: '',
        side: 'sell',
        newSl: NaN,
        action: 'open_hedge',
      }),
    );
    s.markIntent(ids[0]!, 'applied', '10009', '', NOW + 10);
    s.markIntent(ids[1]!, 'unknown', 'timeout', 'no answer in 10 s', NOW + 10);
    s.markIntent(ids[2]!, 'rejected', '10016', 'invalid stops', NOW + 10);
    const open = s.unresolvedIntents();
    expect(open.map((i) => [i.intent.id, i.status])).toEqual([
      [ids[1], 'unknown'],
      [ids[3], 'pending'],
    ]);
    expect(open[0]!.recordedAt).toBe(NOW + 1);
    expect(Number.isNaN(open[0]!.intent.newSl)).toBe(true);
    // Reconciliation found the partial close took effect.
    expect(s.markIntent(ids[1]!, 'applied', null, 'reconciled: volume 0.2 -> 0.1', NOW + 60_000)).toBe(true);
    expect(s.unresolvedIntents().map((i) => i.intent.id)).toEqual([ids[3]]);
    expect(s.intentsFor('2').map((i) => i.status)).toEqual(['applied']);
    s.close();
  });

  it('a transaction keeps all of its writes or none', () => {
    const s = openSqliteStore(fresh(), { now: NOW });
    s.recordIntent(intent('x'));
    expect(() =>
      s.transaction(() => {
        s.savePlan(plan('1'));
        s.appendDecision(decision('1', NOW));
        s.recordIntent(intent('x')); // refused: the whole step rolls back
      }),
    ).toThrow(StoreError);
    expect(s.plan('1')).toBeNull();
    expect(s.decisionCount()).toBe(0);
    s.transaction(() => {
      s.savePlan(plan('1'));
      s.recordIntent(intent('y'));
    });
    expect(s.plan('1')).not.toBeNull();
    expect(s.intent('y')?.status).toBe('pending');
    s.close();
  });
});

describe('SqliteStore: rows that fail validation are reported, not dropped', () => {
  it('names the table and the key', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.savePlan(plan('1'));
    s.savePlan(plan('2'));
    s.recordIntent(intent('i1'));
    s.close();
    const db = new Database(file);
    db.prepare('UPDATE plans SET plan = ? WHERE position_id = ?').run(
      JSON.stringify({ ...plan('2'), side: 'long' }),
      '2',
    );
    db.prepare("UPDATE intents SET intent = '{not json' WHERE id = 'i1'").run();
    db.close();

    const again = openSqliteStore(file, { now: NOW });
    expect(again.plan('1')?.positionId).toBe('1');
    const e = storeError(() => again.plans());
    expect(e.code).toBe('invalid_row');
    expect(e.message).toMatch(/plans row 2 is not valid: side: /);
    expect(storeError(() => again.plan('2')).code).toBe('invalid_row');
    expect(storeError(() => again.unresolvedIntents()).message).toMatch(/intents row i1 is not valid: not valid JSON/);
    again.close();
  });
});

describe('SqliteStore: WAL durability', () => {
  it('a second connection sees committed data while the first is open; a reopen sees it too', () => {
    const file = fresh();
    const a = openSqliteStore(file, { now: NOW });
    a.savePlan(plan('1'));
    a.recordIntent(intent('1:breakeven:1'));
    const b = openSqliteStore(file, { now: NOW });
    expect(b.plan('1')?.positionId).toBe('1');
    expect(b.unresolvedIntents()).toHaveLength(1);
    b.close();
    a.close();
    const c = openSqliteStore(file, { now: NOW });
    expect(c.plans()).toHaveLength(1);
    c.close();
  });

  it('commits survive the process being killed (SIGKILL) before any checkpoint', () => {
    const file = fresh();
    const storeModule = fileURLToPath(new URL('../../src/store/sqliteStore.ts', import.meta.url));
    const code = `
      import { openSqliteStore } from ${JSON.stringify(storeModule)};
      const s = openSqliteStore(${JSON.stringify(file)}, { now: ${NOW} });
      for (let i = 0; i < 50; i++) s.transaction(() => {
        s.appendDecision({ time: ${NOW} + i, positionId: 'P' + (i % 3), symbol: 'X', side: 'buy', rule: 'trail', outcome: 'wait', reason: 'trigger_not_reached', changed: true, session: '',
          price: i, spread: 0, progress: 0, rAchieved: 0, trigger: 0, atr: 0, distance: 0, multiplier: 0, threshold: 0, oldSl: 0, newSl: 0, volume: 0, intentId: '',
          criticalGate: -1, gateVolatility: -1, gateMtf: -1, gateRmag: -1, gateVwap: -1, gateHvn: -1, advisoryFailures: 0, mtfAligned: 0, rmag: 0, vwapZone: -1, hvnDistAtr: 0,
          breakevenPct: 0, partialPct: 0, factors: 0, baseBreakevenPct: 0, basePartialPct: 0, dtmsFrom: '', dtmsState: '', score: 0, note: '' });
      });
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(existsSync(`${file}-wal`)).toBe(true);
    const s = openSqliteStore(file, { now: NOW });
    expect(s.decisionCount()).toBe(50);
    expect(s.recentDecisions(1)[0]!.price).toBe(49);
    s.close();
  });
});

describe('SqliteStore: refusals leave the file as it was', () => {
  /** Opens `file`, expects a refusal with `code`, and checks the file and its folder are unchanged. */
  function refused(file: string, code: StoreErrorCode, message: RegExp): StoreError {
    const bytes = readFileSync(file);
    const listing = readdirSync(join(file, '..')).sort();
    const e = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e.code).toBe(code);
    expect(e.message).toContain(file);
    expect(e.message).toMatch(message);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    if (code !== 'corrupt') expect(readdirSync(join(file, '..')).sort()).toEqual(listing);
    return e;
  }

  it('random bytes', () => {
    const file = fresh();
    writeFileSync(file, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 251)));
    refused(
      file,
      'not_sqlite',
      /is not a Warden store: it is not a SQLite database \(it starts with the bytes 0d .*\); refusing to open it; the file was left untouched$/,
    );
  });

  it('a JSON file (say, intelligent_exits.json given as the store)', () => {
    const file = fresh('intelligent_exits.json');
    writeFileSync(file, JSON.stringify({ 123: { ticket: 123 } }, null, 2));
    refused(file, 'not_sqlite', /not a SQLite database \(it looks like a JSON file\)/);
  });

  it('a text file, and a SQLite header cut short', () => {
    const text = fresh('notes.txt');
    writeFileSync(text, 'hello, this is not a database\n');
    refused(text, 'not_sqlite', /it is a text file starting "hello, this is not a dat"/);

    const good = fresh();
    openSqliteStore(good, { now: NOW }).close();
    const cut = fresh('cut.db');
    writeFileSync(cut, readFileSync(good).subarray(0, 60));
    refused(cut, 'not_sqlite', /its SQLite header is cut short \(60 of 100 bytes\)/);
    const cut2 = fresh('cut2.db');
    writeFileSync(cut2, readFileSync(good).subarray(0, 10));
    refused(cut2, 'not_sqlite', /it is cut short after 10 bytes/);
  });

  it('a SQLite database of another application', () => {
    const file = fresh('other.db');
    const db = new Database(file);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');");
    db.close();
    refused(
      file,
      'foreign',
      /is a SQLite database but not a Warden store \(no application id, tables: users\); refusing to open it; the file was left untouched$/,
    );

    const other = fresh('app.db');
    const db2 = new Database(other);
    db2.pragma('journal_mode = WAL');
    db2.pragma('application_id = 1234');
    db2.exec('CREATE TABLE t (x)');
    db2.close();
    refused(other, 'foreign', /\(application id 0x000004d2\)/);
  });

  it("a SQLite file with Warden's application id but no Warden meta", () => {
    const file = fresh();
    const db = new Database(file);
    db.pragma(`application_id = ${WARDEN_APPLICATION_ID}`);
    db.exec('CREATE TABLE t (x)');
    db.close();
    refused(file, 'foreign', /Warden's application id, but no meta table/);
  });

  it('a damaged page: refused as corrupt, with a copy beside it named by the time passed in', () => {
    const file = fresh();
    const s = openSqliteStore(file, { now: NOW });
    s.transaction(() => {
      for (let i = 0; i < 300; i++) s.appendDecision(decision(`P${i % 7}`, NOW + i, { note: 'x'.repeat(200) }));
      for (let i = 0; i < 50; i++) s.savePlan(plan(String(i)));
    });
    s.close();
    const original = readFileSync(file);
    expect(original.length).toBeGreaterThan(20 * 4096);
    // Overwrite page 10 (of many) with garbage.
    const damaged = Buffer.from(original);
    damaged.fill(0xa5, 9 * 4096, 10 * 4096);
    writeFileSync(file, damaged);

    const e = refused(
      file,
      'corrupt',
      /is damaged \(.+\); refusing to open it\. A copy was saved as .+; the file was left as it is/,
    );
    const backup = `${file}.corrupt-2025-03-14T09-30-00-000Z`;
    expect(e.backup).toBe(backup);
    expect(e.message).toContain(backup);
    expect(readFileSync(backup).equals(damaged)).toBe(true);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db.corrupt-2025-03-14T09-30-00-000Z']);
    // Refused again on the next try, naming the same copy (a service restarted in a loop must not fill
    // the disk with copies); a copy is saved anew once the file has changed.
    const e2 = storeError(() => openSqliteStore(file, { now: NOW + 60_000 }));
    expect(e2.code).toBe('corrupt');
    expect(e2.backup).toBe(backup);
    expect(e2.message).toContain(`A copy was saved before as ${backup}`);
    expect(readdirSync(join(file, '..')).sort()).toEqual(['warden.db', 'warden.db.corrupt-2025-03-14T09-30-00-000Z']);
    damaged.fill(0x5a, 11 * 4096, 12 * 4096);
    writeFileSync(file, damaged);
    const e3 = storeError(() => openSqliteStore(file, { now: NOW }));
    expect(e3.backup).toBe(`${backup}-2`);
    expect(readFileSync(`${backup}-2`).equals(damaged)).toBe(true);
  });

  it('a damaged file header (page 1) is refused without being touched', () => {
    const file = fresh();
    openSqliteStore(file, { now: NOW }).close();
    const b = readFileSync(file);
    b.fill(0, 0, 16);
    writeFileSync(file, b);
    refused(file, 'not_sqlite', /not a SQLite database/);
  });

  it('a directory, and a missing parent directory, are io errors', () => {
    const dir = freshDir();
    expect(storeError(() => openSqliteStore(dir, { now: NOW })).code).toBe('io');
    const e = storeError(() => openSqliteStore(join(dir, 'no', 'such', 'x.db'), { now: NOW }));
    expect(e.code).toBe('io');
    expect(e.message).toMatch(/cannot create the store/);
  });
});

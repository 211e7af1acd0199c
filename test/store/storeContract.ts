// What every WardenStore must do, whatever keeps its rows: written once, run against each store (the
// embedded SQLite store in storeContract.sqlite.test.ts, a server database beside it). Only the
// interface is used: no file, table or connection of a particular store, and no assumption a shared
// database would break (seqs are compared with each other, never with 1, 2, 3...; `location` is only
// passed on). Every record type round-trips field for field (NaN kept); the intent journal refuses a
// second record of an id, an answer for an unknown id and a changed final answer; a transaction keeps
// all of its writes or none, and nests; pages of the decision journal and of closed trades; replay
// checkpoints and their parts; and what was committed is there after a reopen.
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { ShadowBookSnapshot } from '../../src/domain/shadowBookSnapshot.ts';
import type { Intent } from '../../src/domain/types.ts';
import { newDefensiveState } from '../../src/dtms/defensiveState.ts';
import { newDtmsScore } from '../../src/dtms/signalScore.ts';
import type { EngineSnapshot } from '../../src/engine/engineState.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { assessHealth } from '../../src/execution/health.ts';
import { ArraySink, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { parseLegacyRule } from '../../src/exits/legacyRule.ts';
import { generateSampleMarket, SAMPLE_SHAPES } from '../../src/market/sampleMarket.ts';
import { CLOSED_TRADE_EXITS } from '../../src/store/records.ts';
import {
  type ClosedTrade,
  type JournalDecision,
  type PlanProposal,
  type ReplayCheckpointPart,
  StoreError,
  type StoredDefence,
  type StoredPaperAccount,
  type StoredSessionState,
  type WardenStore,
} from '../../src/store/store.ts';
import { SimBook } from '../support/simBook.ts';
import {
  decision,
  intent,
  lifetime,
  MIN,
  NOW,
  pageDecision,
  partialIntent,
  plan,
  position,
  RULES,
  storeError,
  trade,
} from './storeFixtures.ts';

export interface StoreUnderTest {
  /** A fresh, empty, writable store each call. */
  open(): WardenStore;
  /** Closes `s` and opens the same store again (what was committed must be there). */
  reopen(s: WardenStore): WardenStore;
}

/** Runs the store contract on the stores `sut` opens, in describe blocks named `${label}: ...`. */
export function describeStoreContract(label: string, sut: StoreUnderTest): void {
  describeRecords(label, sut);
  describeSessionRecords(label, sut);
  describeIntentJournal(label, sut);
  describeTransactions(label, sut);
  describeDecisionPages(label, sut);
  describeClosedTrades(label, sut);
  describeReplayCheckpoints(label, sut);
  describePersistence(label, sut);
}

/**
 * `sut`, keeping the stores a describe block's tests open and closing them after each test (closing
 * twice does nothing), so that a test that fails half-way leaves no store open behind it.
 */
function tracked(sut: StoreUnderTest): StoreUnderTest {
  const opened: WardenStore[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  return {
    open: () => {
      const s = sut.open();
      opened.push(s);
      return s;
    },
    reopen: (s) => {
      const again = sut.reopen(s);
      opened.push(again);
      return again;
    },
  };
}

/** What `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function describeRecords(label: string, sut: StoreUnderTest): void {
  describe(`${label}: records round trip`, () => {
    const store = tracked(sut);

    it('plans: save, overwrite, list, delete; NaN and a pending intent survive', () => {
      const s = store.open();
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
      const again = store.reopen(s);
      expect(again.plans()).toEqual([{ ...b, trailMoves: 3 }]);
    });

    it('DTMS state: save, load, list, delete (NaN timers and a null regime kept)', () => {
      const s = store.open();
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

      const s = store.open();
      s.transaction(() => {
        for (const p of snap!.positions) {
          s.savePlan(p.plan);
          if (p.defence !== null) s.saveDefence(p.position.id, p.defence);
        }
        for (const r of sink.records) s.appendDecision(r);
        for (const it of sent) s.recordIntent(it);
      });

      const back = store.reopen(s);
      for (const p of snap!.positions) {
        expect(back.plan(p.position.id)).toEqual(p.plan);
        expect(back.defence(p.position.id)).toEqual(p.defence);
      }
      expect(back.decisionCount()).toBe(sink.records.length);
      expect(back.recentDecisions(sink.records.length)).toEqual(sink.records);
      expect(back.unresolvedIntents().map((x) => x.intent)).toEqual(sent);
    });

    it('decision journal: per position and latest N, oldest first, NaN kept', () => {
      const s = store.open();
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
    });

    it('decisions appended together keep their order and read back as appended one by one', () => {
      const s = store.open();
      s.appendDecision(decision('A', NOW, { newSl: 2400 }));
      const before = s.lastDecisionSeq();
      const batch = [3, 1, 2].map((k) => decision(k === 2 ? 'B' : 'A', NOW + k * 60_000, { newSl: 2400 + k }));
      s.appendDecisions(batch);
      s.appendDecisions([]);
      expect(s.decisionCount()).toBe(4);
      expect(s.lastDecisionSeq()).toBeGreaterThan(before);
      expect(s.recentDecisions(3)).toEqual(batch);
      expect(s.decisionsFor('A').map((r) => r.newSl)).toEqual([2400, 2403, 2401]);
      expect(Number.isNaN(s.decisionsFor('B')[0]!.atr)).toBe(true);
    });

    it('legacy rules: save, load, list, delete', () => {
      const s = store.open();
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
    });

    it('lifetimes: by key, by ticket in order, the open ones; decisions of several lifetimes of a ticket', () => {
      const s = store.open();
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
    });

    it('proposals: save, replace by id, the latest proposed first, by status and ticket, counted', () => {
      const s = store.open();
      expect(s.proposalCount()).toBe(0);
      expect(s.proposals({ limit: 10 })).toEqual([]);
      const proposal = (n: number, ticket: string, over: Partial<PlanProposal> = {}): PlanProposal => ({
        id: `p-${n}`,
        lifetime: `${ticket}#1`,
        ticket,
        symbol: 'XAUUSDc',
        patch: n % 2 === 0 ? { breakevenPct: 35, trailingEnabled: false } : { partialPct: 60, partialClosePct: 40 },
        rationale: `proposal ${n}`,
        proposedBy: 'mcp',
        createdAt: NOW + n * MIN,
        status: 'shadow',
        decidedAt: null,
        decidedBy: null,
        decisionNote: '',
        ...over,
      });
      for (let n = 1; n <= 5; n++) s.saveProposal(proposal(n, n <= 3 ? '7' : '8'));
      expect(s.proposal('p-2')).toEqual(proposal(2, '7'));
      expect(s.proposal('p-1')).toEqual(proposal(1, '7'));
      expect(s.proposal('p-9')).toBeNull();
      expect(s.proposalCount()).toBe(5);
      // Deciding one saves it again: replaced, not added, and still listed where it was proposed.
      const approved = proposal(2, '7', {
        status: 'approved',
        decidedAt: NOW + 10 * MIN,
        decidedBy: 'api',
        decisionNote: 'looks right',
      });
      s.saveProposal(approved);
      expect(s.proposal('p-2')).toEqual(approved);
      expect(s.proposalCount()).toBe(5);
      const ids = (xs: PlanProposal[]) => xs.map((x) => x.id);
      expect(ids(s.proposals({ limit: 10 }))).toEqual(['p-5', 'p-4', 'p-3', 'p-2', 'p-1']);
      expect(ids(s.proposals({ limit: 2 }))).toEqual(['p-5', 'p-4']);
      expect(ids(s.proposals({ status: 'shadow', limit: 10 }))).toEqual(['p-5', 'p-4', 'p-3', 'p-1']);
      expect(s.proposals({ status: 'approved', limit: 10 })).toEqual([approved]);
      expect(ids(s.proposals({ ticket: '7', limit: 10 }))).toEqual(['p-3', 'p-2', 'p-1']);
      expect(ids(s.proposals({ status: 'shadow', ticket: '7', limit: 1 }))).toEqual(['p-3']);
      expect(s.proposals({ status: 'void', limit: 10 })).toEqual([]);
      expect(s.proposals({ ticket: '9', limit: 10 })).toEqual([]);
    });
  });
}

function describeSessionRecords(label: string, sut: StoreUnderTest): void {
  describe(`${label}: live session state`, () => {
    const store = tracked(sut);

    it('several managed positions saved at once read back as saved one by one', () => {
      const s = store.open();
      const defended: StoredDefence = {
        tracked: {
          state: newDefensiveState('302', NOW),
          initialRisk: 10,
          vwapCrosses: 0,
          lastFast: NOW,
          lastDeep: NaN,
          cooldownUntil: NaN,
          closedVolume: 0,
          hedgeId: null,
          hedgeVolume: 0,
          score: newDtmsScore(),
          regime: null,
          checkedAt: NOW,
        },
        queue: [],
        attempts: 0,
        lastRefusal: '',
        ownsStop: false,
        disabled: null,
      };
      s.saveDefence('301', defended);
      s.saveManagedPositions([
        { plan: plan('301'), defence: null, position: position('301', 2390), order: 1 },
        { plan: plan('302', { trailNow: true }), defence: defended, position: position('302', null), order: 0 },
      ]);
      expect(s.plans().map((p) => [p.positionId, p.trailNow])).toEqual([
        ['301', false],
        ['302', true],
      ]);
      expect([...s.defences().keys()]).toEqual(['302']);
      expect(s.defence('302')).toEqual(defended);
      expect(s.positions().map((p) => [p.position.id, p.order, p.position.sl])).toEqual([
        ['302', 0, null],
        ['301', 1, 2390],
      ]);
      s.saveManagedPositions([{ plan: plan('301'), defence: null, position: position('301', 2395), order: 2 }]);
      expect(s.positions().map((p) => [p.position.id, p.order, p.position.sl])).toEqual([
        ['302', 0, null],
        ['301', 2, 2395],
      ]);
    });

    it('keeps positions in evaluation order, the session state and the health report across a reopen', () => {
      const s = store.open();
      expect(s.positions()).toEqual([]);
      expect(s.sessionState()).toBeNull();
      expect(s.health()).toBeNull();
      s.transaction(() => {
        s.savePosition(position('200', 2390), 1);
        s.savePosition(position('100', null), 0);
        s.savePosition({ ...position('300', 2391), account: 'demo-1', strategyType: 'trend' }, 2);
      });
      s.savePosition(position('200', 2395.5), 1);
      expect(s.deletePosition('300')).toBe(true);
      expect(s.deletePosition('300')).toBe(false);
      const state: StoredSessionState = {
        time: 1_700_000_000_000,
        hedges: [['501', '200']],
        orphans: [
          {
            hedgeId: '502',
            parentId: '150',
            symbol: 'XAUUSDc',
            side: 'sell',
            volume: 0.15,
            pending: '150:dtms:orphan_hedge:502',
            attempts: 1,
          },
        ],
        deepChecks: 42,
      };
      s.saveSessionState(state);
      const report = assessHealth({
        now: 5,
        positions: 2,
        hedges: 1,
        breakers: [{ symbol: 'XAUUSDc', failures: 5, openedAt: 1, reopensAt: 300_001, lastError: 'bad bar' }],
        feeds: [{ symbol: 'XAUUSDc', lastBarAt: Number.NaN, crypto: false }],
        staleAfterMs: 300_000,
        unresolvedIntents: [],
        recentRejections: [],
      });
      s.saveHealth(report);

      const r = store.reopen(s);
      expect(r.positions()).toEqual([
        { position: position('100', null), order: 0 },
        { position: position('200', 2395.5), order: 1 },
      ]);
      expect(r.sessionState()).toEqual(state);
      const back = r.health();
      expect(back).toEqual(report);
      expect(Number.isNaN(back!.feeds[0]!.lastBarAt)).toBe(true); // "no bar yet" survives as NaN
    });

    it('the paper account of `warden serve` round-trips', () => {
      const s = store.open();
      expect(s.paperAccount()).toBeNull();
      const state: StoredPaperAccount = {
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
                    side: 'buy',
                    lots: 30,
                    entry: 2399,
                    sl: 2390,
                    tp: null,
                    openTime: NOW - 60_000,
                    comment: 'demo',
                  },
                ],
                realized: [['100003', -1.5]],
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
        market: {
          seed: 1,
          symbols: ['XAUUSDc'],
          start: NOW - 3_600_000,
          warmupMinutes: 60,
          position: 1234,
          clock: NOW,
        },
      };
      s.savePaperAccount(state);
      expect(s.paperAccount()).toEqual(state);
    });

    it('the shadow book round-trips (NaN risk, null stops and exits kept); saving again replaces it', () => {
      const s = store.open();
      expect(s.shadowBook()).toBeNull();
      const book: ShadowBookSnapshot = {
        promoted: ['EURUSD'],
        positions: [
          {
            ticket: '100001',
            symbol: 'XAUUSDc',
            side: 'buy',
            entryPrice: 2400,
            openTime: NOW - 30 * MIN,
            virtual: false,
            comment: 'scalp',
            initialSl: null,
            initialVolume: 0.3,
            risk: Number.NaN,
            venueSl: null,
            venueTp: 2420,
            venueVolume: 0.2,
            sl: 2401,
            slBy: 'breakeven',
            slAt: NOW - 5 * MIN,
            closed: [{ time: NOW - 10 * MIN, volume: 0.1, price: 2405 }],
            venueClosed: [],
            decisions: 3,
            shadowExit: null,
            actualExit: null,
            lastPrice: 2403.5,
            lastTime: NOW,
          },
          {
            ticket: 'shadow:1',
            symbol: 'XAUUSDc',
            side: 'sell',
            entryPrice: 2398,
            openTime: NOW - 20 * MIN,
            virtual: true,
            comment: '',
            initialSl: 2410,
            initialVolume: 0.15,
            risk: 12,
            venueSl: null,
            venueTp: null,
            venueVolume: 0.15,
            sl: null,
            slBy: '',
            slAt: 0,
            closed: [],
            venueClosed: [{ time: NOW - MIN, volume: 0.05, price: 2399 }],
            decisions: 1,
            shadowExit: { time: NOW - 2 * MIN, price: 2401, how: 'stop', by: 'dtms tighten_stop' },
            actualExit: { time: NOW - MIN, price: 2399.5, how: 'close', by: 'trader' },
            lastPrice: 2399.5,
            lastTime: NOW - MIN,
          },
        ],
        virtualSeq: 1,
      };
      s.saveShadowBook(book);
      const back = s.shadowBook();
      expect(back).toEqual(book);
      expect(Number.isNaN(back!.positions[0]!.risk)).toBe(true);
      const next: ShadowBookSnapshot = { promoted: [], positions: [], virtualSeq: 2 };
      s.saveShadowBook(next);
      expect(s.shadowBook()).toEqual(next);
    });

    it('the session owner: none, claimed, replaced, kept across a reopen, released', () => {
      const s = store.open();
      expect(s.sessionOwner()).toBeNull();
      s.saveSessionOwner({ pid: 4242, host: 'box-a', startedAt: NOW });
      expect(s.sessionOwner()).toEqual({ pid: 4242, host: 'box-a', startedAt: NOW });
      const next = { pid: 77, host: 'box-b', startedAt: NOW + MIN };
      s.saveSessionOwner(next);
      expect(s.sessionOwner()).toEqual(next);
      const again = store.reopen(s);
      expect(again.sessionOwner()).toEqual(next);
      again.saveSessionOwner(null);
      expect(again.sessionOwner()).toBeNull();
      again.saveSessionOwner(null); // releasing what nobody holds is fine
      expect(again.sessionOwner()).toBeNull();
    });
  });
}

/** An intent of lifetime 7#1 as the filter and count tests journal it (their id, rule, kind... over it). */
const JOURNAL_INTENT: Intent = {
  id: '',
  positionId: '7#1',
  symbol: 'XAUUSDc',
  kind: 'move_stop',
  rule: 'trail',
  episode: 1,
  newSl: 2400,
  oldSl: null,
  volume: 0,
  time: NOW,
  price: 2405,
  reason: 'trail',
  targetId: '7',
  side: 'buy',
  comment: '',
  action: '',
};

function describeIntentJournal(label: string, sut: StoreUnderTest): void {
  describe(`${label}: intent journal`, () => {
    const store = tracked(sut);

    it('records pending before sending, then the answer; an id recorded twice is refused', () => {
      const s = store.open();
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
      expect(s.intent('never')).toBeNull();

      // The refusal outlives a restart.
      const again = store.reopen(s);
      expect(storeError(() => again.recordIntent(a)).code).toBe('duplicate_intent');
    });

    it('unresolvedIntents: pending and unknown ones, in journal order; unknown can still be resolved', () => {
      const s = store.open();
      const ids = ['1:breakeven:1', '2:partial:1', '3:trail:4', '4:dtms:1:open_hedge'];
      s.recordIntent(intent(ids[0]!, '1'));
      s.recordIntent(
        intent(ids[1]!, '2', { kind: 'close_partial', rule: 'partial', volume: 0.1, newSl: NaN }),
        NOW + 1,
      );
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
    });

    it("a position's intents of one rule, kind or status: filtered in the store, in journal order", () => {
      const s = store.open();
      const base = JOURNAL_INTENT;
      const intents: Intent[] = [
        { ...base, id: 'a', rule: 'breakeven' },
        { ...base, id: 'b' },
        { ...base, id: 'c', rule: 'dtms', kind: 'close_partial', volume: 0.1, action: 'CLOSE_HALF' },
        { ...base, id: 'd' },
        { ...base, id: 'e', positionId: '8#1' },
      ];
      for (const it of intents) s.recordIntent(it);
      s.markIntent('a', 'applied', null, '', NOW + 1);
      s.markIntent('b', 'rejected', '10016', 'invalid stops', NOW + 1);
      s.markIntent('d', 'applied', null, '', NOW + 2);
      const ids = (xs: { intent: Intent }[]) => xs.map((x) => x.intent.id);
      expect(ids(s.intentsFor('7#1'))).toEqual(['a', 'b', 'c', 'd']);
      expect(ids(s.intentsFor('7#1', { rule: 'dtms' }))).toEqual(['c']);
      expect(ids(s.intentsFor('7#1', { kind: 'move_stop', status: 'applied' }))).toEqual(['a', 'd']);
      expect(ids(s.intentsFor('7#1', { rule: 'trail', status: 'rejected' }))).toEqual(['b']);
      expect(ids(s.intentsFor('8#1', { rule: 'dtms' }))).toEqual([]);
    });

    it('intentsSince: the intents journaled at or after an instant, oldest first, with their answers', () => {
      const s = store.open();
      s.recordIntent(intent('a', '1'), NOW);
      s.recordIntent(intent('b', '2'), NOW + MIN);
      s.recordIntent(intent('c', '1', { time: NOW + 2 * MIN })); // journaled at its own time
      s.markIntent('b', 'applied', '10009', 'done', NOW + 4 * MIN);
      s.recordIntent(intent('d', '3'), NOW + 3 * MIN);
      const seen = (at: number) => s.intentsSince(at).map((i) => [i.intent.id, i.status, i.recordedAt]);
      expect(seen(NOW + MIN)).toEqual([
        ['b', 'applied', NOW + MIN],
        ['c', 'pending', NOW + 2 * MIN],
        ['d', 'pending', NOW + 3 * MIN],
      ]);
      expect(seen(0).map(([id]) => id)).toEqual(['a', 'b', 'c', 'd']);
      expect(seen(NOW + 3 * MIN).map(([id]) => id)).toEqual(['d']);
      expect(s.intentsSince(NOW + 3 * MIN + 1)).toEqual([]);
      expect(s.intentsSince(NOW + MIN)[0]).toEqual({
        intent: intent('b', '2'),
        status: 'applied',
        code: '10009',
        reason: 'done',
        recordedAt: NOW + MIN,
        resolvedAt: NOW + 4 * MIN,
      });
    });

    it('intent counts of a window: by status, rule and action, of one symbol or all, as decoding the window and counting would', () => {
      const s = store.open();
      const rules: Intent['rule'][] = ['trail', 'breakeven', 'dtms', 'partial'];
      for (let i = 0; i < 200; i++) {
        const rule = rules[i % 4]!;
        const journaled: Intent = {
          ...JOURNAL_INTENT,
          id: `i${i}`,
          rule,
          symbol: i % 3 === 0 ? 'EURUSD' : 'XAUUSDc',
          action: rule === 'dtms' ? (['tighten_stop', 'partial_close'] as const)[i % 2]! : '',
        };
        s.recordIntent(journaled, NOW + i * 60_000);
        if (i % 5 === 0) s.markIntent(journaled.id, 'rejected', '10016', 'invalid stops', NOW + i * 60_000 + 1);
        else if (i % 5 !== 4) s.markIntent(journaled.id, 'applied', null, '', NOW + i * 60_000 + 1);
      }
      const reference = (at: number, symbol?: string) => {
        const counts = new Map<string, number>();
        for (const i of s.intentsSince(at)) {
          if (symbol !== undefined && i.intent.symbol !== symbol) continue;
          const k = `${i.status}|${i.intent.rule}|${i.intent.action}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        return [...counts].map(([k, count]) => ({ k, count })).sort((a, b) => (a.k < b.k ? -1 : 1));
      };
      const counted = (at: number, symbol?: string) =>
        s
          .intentCounts(at, symbol)
          .map((c) => ({ k: `${c.status}|${c.rule}|${c.action}`, count: c.count }))
          .sort((a, b) => (a.k < b.k ? -1 : 1));
      for (const at of [0, NOW + 50 * 60_000, NOW + 199 * 60_000, NOW + 500 * 60_000]) {
        expect(counted(at)).toEqual(reference(at));
        expect(counted(at, 'EURUSD')).toEqual(reference(at, 'EURUSD'));
      }
      expect(counted(0).reduce((n, c) => n + c.count, 0)).toBe(200);
      expect(counted(NOW + 500 * 60_000)).toEqual([]);
    });

    it('a fill is kept with its applied answer, read in journal order; none for a refusal or a stop move', () => {
      const s = store.open();
      s.recordIntent(partialIntent('a', '7#1'));
      s.recordIntent(partialIntent('b', '7#1', { kind: 'close', rule: 'dtms', action: 'close_all' }));
      s.recordIntent(partialIntent('c', '7#1'));
      s.recordIntent(partialIntent('d', '8#1'));
      s.markIntent('b', 'applied', '10009', 'applied', NOW + 2, 2401.5);
      s.markIntent('a', 'applied', '10009', 'applied', NOW + 3, 2405.25);
      s.markIntent('c', 'rejected', '10016', 'invalid', NOW + 4, 2406);
      s.markIntent('d', 'applied', '10009', 'applied', NOW + 5);
      expect(s.fillsOf('7#1')).toEqual([
        { intentId: 'a', price: 2405.25, at: NOW + 3 },
        { intentId: 'b', price: 2401.5, at: NOW + 2 },
      ]);
      expect(s.fillsOf('8#1')).toEqual([]);
      expect(s.fillsOf('nobody')).toEqual([]);
    });
  });
}

function describeTransactions(label: string, sut: StoreUnderTest): void {
  describe(`${label}: transactions`, () => {
    const store = tracked(sut);

    it('a transaction keeps all of its writes or none', () => {
      const s = store.open();
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
    });

    it("nests: an inner transaction's writes go with the outer one; a throw inside it undoes only its own writes when the outer one goes on", () => {
      const s = store.open();
      expect(s.transaction(() => 42)).toBe(42);
      // The outer one throws after the inner one finished: nothing of either is kept.
      expect(() =>
        s.transaction(() => {
          s.savePlan(plan('1'));
          s.transaction(() => {
            s.savePlan(plan('2'));
            s.recordIntent(intent('a'));
          });
          throw new Error('step failed');
        }),
      ).toThrow('step failed');
      expect(s.plans()).toEqual([]);
      expect(s.intent('a')).toBeNull();
      // The inner one throws and the outer one goes on: the outer one's writes are kept, the inner one's not.
      const seen = s.transaction(() => {
        s.savePlan(plan('1'));
        const err = thrown(() =>
          s.transaction(() => {
            s.savePlan(plan('2'));
            s.appendDecision(decision('2', NOW));
            throw new Error('inner failed');
          }),
        );
        expect(err).toEqual(new Error('inner failed'));
        s.recordIntent(intent('b'));
        return s.plans().map((p) => p.positionId);
      });
      expect(seen).toEqual(['1']);
      const again = store.reopen(s);
      expect(again.plans().map((p) => p.positionId)).toEqual(['1']);
      expect(again.decisionCount()).toBe(0);
      expect(again.intent('b')?.status).toBe('pending');
      expect(again.intent('a')).toBeNull();
    });
  });
}

/** The listed fields of a whole record, as a page gives them. */
function listed(seq: number, r: DecisionRecord): JournalDecision {
  const {
    time,
    positionId,
    symbol,
    rule,
    outcome,
    reason,
    intentId,
    oldSl,
    newSl,
    volume,
    price,
    dtmsState,
    score,
    note,
  } = r;
  return {
    seq,
    time,
    positionId,
    symbol,
    rule,
    outcome,
    reason,
    intentId,
    oldSl,
    newSl,
    volume,
    price,
    dtmsState,
    score,
    note,
  };
}

/**
 * Appends a journal of `count` records over 40 positions (lifetimes of tickets 100..139), DTMS one in
 * seven, and returns them as pages list them. Each record's seq is the journal's last seq right after
 * it was appended; the seqs rise with every record (a shared database may leave gaps between them).
 */
function journal(s: WardenStore, count: number): JournalDecision[] {
  const all: JournalDecision[] = [];
  s.transaction(() => {
    for (let i = 0; i < count; i++) {
      const r = pageDecision(i, `${100 + (i % 40)}#${1 + Math.floor(i / 4000)}`, RULES[i % RULES.length]!);
      s.appendDecision(r);
      all.push(listed(s.lastDecisionSeq(), r));
    }
  });
  const rising = all.every((d, i) => i === 0 || d.seq > all[i - 1]!.seq);
  expect(rising).toBe(true);
  expect(all[0]!.seq).toBeGreaterThan(0);
  expect(s.lastDecisionSeq()).toBe(all.at(-1)!.seq);
  return all;
}

function describeDecisionPages(label: string, sut: StoreUnderTest): void {
  describe(`${label}: pages of the decision journal`, () => {
    const store = tracked(sut);

    it('the latest page, then older ones by `before`: disjoint, oldest first, together the whole journal', () => {
      const s = store.open();
      const all = journal(s, 2000);
      expect(s.lastDecisionSeq()).toBe(all[1999]!.seq);
      const latest = s.decisionPage(null, { limit: 300 });
      expect(latest).toEqual(all.slice(-300));
      const seen: JournalDecision[] = [];
      let before: number | undefined;
      for (;;) {
        const page = s.decisionPage(null, before === undefined ? { limit: 300 } : { before, limit: 300 });
        expect(page.length).toBeLessThanOrEqual(300);
        if (page.length === 0) break;
        seen.unshift(...page);
        before = page[0]!.seq;
      }
      expect(seen).toEqual(all);
      // NaN ("not known") comes back as NaN, as in the whole record.
      expect(Number.isNaN(latest[0]!.newSl)).toBe(true);
      // A page read with `before` past the last seq does not change when more is appended.
      const end = s.lastDecisionSeq() + 1;
      const frozen = s.decisionPage(null, { before: end, limit: 5 });
      s.appendDecision(pageDecision(2000, '100#1', 'trail'));
      expect(s.lastDecisionSeq()).toBeGreaterThan(all[1999]!.seq);
      expect(s.decisionPage(null, { before: end, limit: 5 })).toEqual(frozen);
      expect(frozen).toEqual(all.slice(-5));
    });

    it('`after` reads only what was appended since a seq (the newest `limit` of it)', () => {
      const s = store.open();
      const all = journal(s, 500);
      const seq = (i: number) => all[i - 1]!.seq; // the seq of the i-th record (1-based)
      expect(s.decisionPage(null, { after: seq(490), limit: 100 })).toEqual(all.slice(490));
      expect(s.decisionPage(null, { after: seq(100), limit: 5 })).toEqual(all.slice(-5));
      expect(s.decisionPage(null, { after: seq(200), before: seq(210), limit: 100 })).toEqual(all.slice(200, 209));
      expect(s.decisionPage(null, { after: seq(500), limit: 10 })).toEqual([]);
    });

    it("one rule's records: only that rule, the newest first cut, however far back they are", () => {
      const s = store.open();
      const all = journal(s, 7000);
      const dtms = all.filter((d) => d.rule === 'dtms');
      expect(s.decisionPage({ rule: 'dtms' }, { limit: 50 })).toEqual(dtms.slice(-50));
      expect(s.decisionPage({ rule: 'dtms' }, { before: dtms[10]!.seq, limit: 50 })).toEqual(dtms.slice(0, 10));
      // Appended long after the last DTMS record, thousands of others do not hide it.
      s.transaction(() => {
        for (let i = 0; i < 5000; i++) s.appendDecision(pageDecision(7000 + i, '999#1', 'trail'));
      });
      expect(s.decisionPage({ rule: 'dtms' }, { limit: 3 })).toEqual(dtms.slice(-3));
      expect(s.decisionPage({ rule: 'lifetime' }, { limit: 3 })).toEqual([]);
    });

    it("a ticket's lifetimes together: the newest of all of them, oldest first; each position read as one range", () => {
      const s = store.open();
      const all = journal(s, 12_000);
      const keys = ['105#1', '105#2', '105#3', '105'];
      const of105 = all.filter((d) => keys.includes(d.positionId));
      expect(new Set(of105.map((d) => d.positionId))).toEqual(new Set(['105#1', '105#2', '105#3']));
      expect(s.decisionPage({ positionIds: keys }, { limit: 120 })).toEqual(of105.slice(-120));
      const cut = of105[150]!.seq;
      expect(s.decisionPage({ positionIds: keys }, { before: cut, limit: 120 })).toEqual(of105.slice(30, 150));
      expect(s.decisionPage({ positionIds: ['105#2', '105#2'] }, { limit: 2 })).toEqual(
        of105.filter((d) => d.positionId === '105#2').slice(-2),
      );
      expect(s.decisionPage({ positionIds: [] }, { limit: 10 })).toEqual([]);
      expect(s.decisionPage({ positionIds: ['nobody'] }, { limit: 10 })).toEqual([]);
    });

    it('an empty journal: last seq 0, empty pages', () => {
      const s = store.open();
      expect(s.lastDecisionSeq()).toBe(0);
      expect(s.decisionCount()).toBe(0);
      expect(s.decisionPage(null, { limit: 10 })).toEqual([]);
      expect(s.decisionPage({ rule: 'dtms' }, { limit: 10 })).toEqual([]);
      expect(s.decisionPage({ positionIds: ['1#1'] }, { limit: 10 })).toEqual([]);
      expect(s.recentDecisions(10)).toEqual([]);
      expect(s.decisionsOf(['1#1'])).toEqual([]);
    });
  });
}

function describeClosedTrades(label: string, sut: StoreUnderTest): void {
  describe(`${label}: closed trades`, () => {
    const store = tracked(sut);

    it('a record round-trips field for field; saving the key again replaces it', () => {
      const s = store.open();
      const t = trade('100001#1', NOW);
      s.saveClosedTrade(t);
      expect(s.closedTrade('100001#1')).toEqual(t);
      expect(s.closedTrade('100001#2')).toBeNull();
      // Every exit reason is a stored value; unknown figures stay null.
      for (const exitReason of CLOSED_TRADE_EXITS) {
        const u = trade('100001#1', NOW + MIN, {
          exitReason,
          exitPrice: null,
          realizedProfit: null,
          r: null,
          volume: { opened: null, closed: null, closedByWarden: 0 },
          history: { venue: 'ccxt:binanceusdm', status: 'failed', attempts: 4, error: 'timeout' },
        });
        s.saveClosedTrade(u);
        expect(s.closedTrade('100001#1')).toEqual(u);
      }
      expect(s.closedTradePage({ limit: 10 })).toHaveLength(1);
    });

    it("a ticket's lifetimes oldest first; pages newest close first after a (close time, key) cursor, by symbol and time window", () => {
      const s = store.open();
      const all: ClosedTrade[] = [];
      for (let i = 0; i < 40; i++) {
        const ticket = String(200 + (i % 7));
        const key = `${ticket}#${Math.floor(i / 7) + 1}`;
        // Pairs share a close time: the key breaks the tie.
        const t = trade(key, NOW + Math.floor(i / 2) * MIN, { symbol: i % 3 === 0 ? 'EURUSD' : 'XAUUSDc' });
        all.push(t);
        s.saveLifetime({ ...lifetime(key, t.closeTime), ticket, n: Math.floor(i / 7) + 1 });
        s.saveClosedTrade(t);
      }
      expect(s.closedTradesOf('203').map((t) => t.key)).toEqual(['203#1', '203#2', '203#3', '203#4', '203#5', '203#6']);
      const order = (xs: ClosedTrade[]) =>
        [...xs].sort((a, b) => b.closeTime - a.closeTime || (a.key < b.key ? 1 : -1)).map((t) => t.key);
      // Every page, walked with the cursor, gives each trade once, in order.
      const walk = (q: { symbol?: string; from?: number; to?: number }, limit: number): string[] => {
        const seen: string[] = [];
        let after: { closeTime: number; key: string } | undefined;
        for (;;) {
          const page = s.closedTradePage({ ...q, limit, ...(after ? { after } : {}) });
          seen.push(...page.map((t) => t.key));
          if (page.length < limit) return seen;
          after = { closeTime: page.at(-1)!.closeTime, key: page.at(-1)!.key };
        }
      };
      expect(walk({}, 7)).toEqual(order(all));
      expect(walk({ symbol: 'EURUSD' }, 3)).toEqual(order(all.filter((t) => t.symbol === 'EURUSD')));
      const from = NOW + 5 * MIN;
      const to = NOW + 12 * MIN;
      expect(walk({ from, to }, 4)).toEqual(order(all.filter((t) => t.closeTime >= from && t.closeTime < to)));
      expect(walk({ symbol: 'XAUUSDc', from, to }, 2)).toEqual(
        order(all.filter((t) => t.symbol === 'XAUUSDc' && t.closeTime >= from && t.closeTime < to)),
      );
      expect(s.closedTradePage({ limit: 0 })).toEqual([]);
    });

    it('lifetimes that ended without a closed trade: the latest ended first, at most `limit`; recording one takes it off', () => {
      const s = store.open();
      expect(s.endedWithoutClosedTrade(10)).toEqual([]);
      const promoted = 'promoted from shadow to live: managed afresh from the stop and volume the venue holds';
      s.saveLifetime(lifetime('1#1', NOW + MIN));
      s.saveLifetime(lifetime('2#1', NOW + 3 * MIN));
      s.saveLifetime(lifetime('3#1', null));
      s.saveLifetime(lifetime('4#1', NOW + 2 * MIN, promoted));
      s.saveLifetime(lifetime('5#1', NOW + 4 * MIN));
      s.saveClosedTrade(trade('5#1', NOW + 4 * MIN));
      expect(s.endedWithoutClosedTrade(10)).toEqual([
        lifetime('2#1', NOW + 3 * MIN),
        lifetime('4#1', NOW + 2 * MIN, promoted),
        lifetime('1#1', NOW + MIN),
      ]);
      expect(s.endedWithoutClosedTrade(2).map((l) => l.key)).toEqual(['2#1', '4#1']);
      s.saveClosedTrade(trade('2#1', NOW + 3 * MIN));
      expect(s.endedWithoutClosedTrade(1).map((l) => l.key)).toEqual(['4#1']);
      // A lifetime that ends later is the latest ended.
      s.saveLifetime(lifetime('3#1', NOW + 5 * MIN));
      expect(s.endedWithoutClosedTrade(10).map((l) => l.key)).toEqual(['3#1', '4#1', '1#1']);
    });
  });
}

function describeReplayCheckpoints(label: string, sut: StoreUnderTest): void {
  describe(`${label}: replay checkpoints`, () => {
    const store = tracked(sut);

    it('saves, replaces, reads back after a reopen, and deletes a checkpoint by run key', () => {
      const s = store.open();
      expect(s.replayCheckpoint('k1')).toBeNull();
      s.saveReplayCheckpoint('k1', { next: 500, lines: 120, bytes: 40_000, checkpointJson: '{"next":500}' }, NOW);
      s.transaction(() =>
        s.saveReplayCheckpoint(
          'k1',
          { next: 1000, lines: 260, bytes: 91_234, checkpointJson: '{"next":1000}' },
          NOW + 5,
        ),
      );
      s.saveReplayCheckpoint('k2', { next: 0, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW + 6);

      const r = store.reopen(s);
      expect(r.replayCheckpoint('k1')).toEqual({
        runKey: 'k1',
        next: 1000,
        lines: 260,
        bytes: 91_234,
        savedAt: NOW + 5,
        checkpointJson: '{"next":1000}',
      });
      expect(r.replayCheckpoint('k2')?.next).toBe(0);
      expect(r.deleteReplayCheckpoint('k1')).toBe(true);
      expect(r.deleteReplayCheckpoint('k1')).toBe(false);
      expect(r.replayCheckpoint('k1')).toBeNull();
      expect(r.replayCheckpoint('k2')).not.toBeNull();
    });

    it('refuses a negative or fractional position', () => {
      const s = store.open();
      expect(() => s.saveReplayCheckpoint('k', { next: -1, lines: 0, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(
        StoreError,
      );
      expect(() => s.saveReplayCheckpoint('k', { next: 1, lines: 0.5, bytes: 0, checkpointJson: '{}' }, NOW)).toThrow(
        /lines must be a non-negative integer/,
      );
      expect(s.replayCheckpoint('k')).toBeNull();
    });

    it('parts: saved with their checkpoint, replaced by list and start, the others kept, deleted with it', () => {
      const s = store.open();
      s.saveReplayCheckpoint(
        'k',
        {
          next: 10,
          lines: 1,
          bytes: 9,
          checkpointJson: '{"a":1}',
          parts: [
            { list: 'trades', start: 0, itemsJson: '[1,2]' },
            { list: 'deals', start: 0, itemsJson: '["d0"]' },
          ],
        },
        NOW,
      );
      s.saveReplayCheckpoint(
        'other',
        { next: 5, lines: 0, bytes: 0, checkpointJson: '{}', parts: [{ list: 'trades', start: 0, itemsJson: '[7]' }] },
        NOW,
      );
      s.saveReplayCheckpoint(
        'k',
        {
          next: 20,
          lines: 2,
          bytes: 19,
          checkpointJson: '{"a":2}',
          parts: [
            { list: 'trades', start: 2, itemsJson: '[3]' },
            { list: 'deals', start: 0, itemsJson: '["d0 changed"]' },
          ],
        },
        NOW + 1,
      );
      expect(s.replayCheckpointParts('k')).toEqual([
        { list: 'deals', start: 0, itemsJson: '["d0 changed"]' },
        { list: 'trades', start: 0, itemsJson: '[1,2]' },
        { list: 'trades', start: 2, itemsJson: '[3]' },
      ]);
      expect(s.deleteReplayCheckpoint('k')).toBe(true);
      expect(s.replayCheckpointParts('k')).toEqual([]);
      expect(s.replayCheckpointParts('other')).toEqual([{ list: 'trades', start: 0, itemsJson: '[7]' }]);
    });

    it('one transaction: a part that fails to save leaves the previous checkpoint and its parts whole', () => {
      const s = store.open();
      s.saveReplayCheckpoint(
        'k',
        {
          next: 10,
          lines: 1,
          bytes: 9,
          checkpointJson: '{"a":1}',
          parts: [{ list: 'trades', start: 0, itemsJson: '[1]' }],
        },
        NOW,
      );
      // items NULL breaks the table's NOT NULL after the row and the first part are written (SQLite says
      // "NOT NULL constraint failed", PostgreSQL "violates not-null constraint").
      const broken = { list: 'deals', start: 0, itemsJson: null } as unknown as ReplayCheckpointPart;
      expect(() =>
        s.saveReplayCheckpoint(
          'k',
          {
            next: 20,
            lines: 2,
            bytes: 19,
            checkpointJson: '{"a":2}',
            parts: [{ list: 'trades', start: 1, itemsJson: '[2]' }, broken],
          },
          NOW + 1,
        ),
      ).toThrow(/not[ -]null/i);
      expect(s.replayCheckpoint('k')?.next).toBe(10);
      expect(s.replayCheckpointParts('k')).toEqual([{ list: 'trades', start: 0, itemsJson: '[1]' }]);
      // Refused before writing: a list it does not know, a start that is not an index.
      const bad = (part: ReplayCheckpointPart) => () =>
        s.saveReplayCheckpoint('k', { next: 30, lines: 3, bytes: 29, checkpointJson: '{}', parts: [part] }, NOW + 2);
      expect(bad({ list: 'orders' as ReplayCheckpointPart['list'], start: 0, itemsJson: '[]' })).toThrow(
        /replay checkpoint k: no list orders/,
      );
      expect(bad({ list: 'deals', start: -1, itemsJson: '[]' })).toThrow(
        /part deals start must be a non-negative integer \(got -1\)/,
      );
      expect(s.replayCheckpoint('k')?.next).toBe(10);
    });
  });
}

function describePersistence(label: string, sut: StoreUnderTest): void {
  describe(`${label}: persistence across a reopen`, () => {
    const store = tracked(sut);

    it('every kind of record committed is there after a reopen; a rolled-back transaction is not; the journal goes on from its last seq', () => {
      const s = store.open();
      const p = plan('1', { positionId: '1#1' });
      const legacy = parseLegacyRule('1', {
        ticket: 1,
        symbol: 'XAUUSDc',
        entry_price: 2400,
        direction: 'buy',
        initial_sl: 2390,
        initial_tp: 2420,
      });
      if (!legacy.ok) throw new Error(legacy.reason);
      const rule = { positionId: '1', rule: legacy.rule, notes: legacy.notes, source: 'x.json', importedAt: NOW };
      const state: StoredSessionState = { time: NOW, hedges: [], orphans: [], deepChecks: 3 };
      const t = trade('2#1', NOW);
      s.transaction(() => {
        s.savePlan(p);
        s.saveLegacyRule(rule);
        s.saveLifetime(lifetime('1#1', null));
        s.saveLifetime(lifetime('2#1', NOW));
        s.saveClosedTrade(t);
        s.savePosition(position('1', 2390), 0);
        s.saveSessionState(state);
        s.saveSessionOwner({ pid: 1, host: 'h', startedAt: NOW });
        s.appendDecision(decision('1#1', NOW));
        s.recordIntent(partialIntent('1#1:partial:1', '1#1'));
        s.saveReplayCheckpoint('run', { next: 3, lines: 2, bytes: 1, checkpointJson: '{}' }, NOW);
      });
      s.markIntent('1#1:partial:1', 'applied', '10009', 'done', NOW + 1, 2405.5);
      const last = s.lastDecisionSeq();
      expect(() =>
        s.transaction(() => {
          s.savePlan(plan('9', { positionId: '9#1' }));
          s.appendDecision(decision('9#1', NOW + 2));
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');

      const r = store.reopen(s);
      expect(r.plans()).toEqual([p]);
      expect(r.legacyRules()).toEqual([rule]);
      expect(r.openLifetimes()).toEqual([lifetime('1#1', null)]);
      expect(r.closedTrade('2#1')).toEqual(t);
      expect(r.positions()).toEqual([{ position: position('1', 2390), order: 0 }]);
      expect(r.sessionState()).toEqual(state);
      expect(r.sessionOwner()).toEqual({ pid: 1, host: 'h', startedAt: NOW });
      expect(r.recentDecisions(10)).toEqual([decision('1#1', NOW)]);
      expect(r.intent('1#1:partial:1')).toMatchObject({ status: 'applied', code: '10009', resolvedAt: NOW + 1 });
      expect(r.fillsOf('1#1')).toEqual([{ intentId: '1#1:partial:1', price: 2405.5, at: NOW + 1 }]);
      expect(r.replayCheckpoint('run')?.next).toBe(3);
      expect(r.lastDecisionSeq()).toBe(last);
      r.appendDecision(decision('1#1', NOW + 3));
      expect(r.lastDecisionSeq()).toBeGreaterThan(last);
      expect(r.decisionPage(null, { after: last, limit: 10 }).map((d) => d.time)).toEqual([NOW + 3]);
    });
  });
}

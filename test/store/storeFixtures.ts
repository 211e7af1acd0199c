// Records the store tests write, shared by the store contract (storeContract.ts) and the SQLite-only
// tests: exit plans, intents, decision records, closed trades, lifetimes and positions, each built
// from one pinned instant (no test reads the wall clock), and the StoreError a call throws.
import { defaultConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import type { ExitRule, Intent, Position } from '../../src/domain/types.ts';
import { newDecisionRecord, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import type { ExitPlan } from '../../src/exits/exitPlan.ts';
import { parseLegacyRule, planFromLegacy } from '../../src/exits/legacyRule.ts';
import { type ClosedTrade, StoreError, type StoredLifetime } from '../../src/store/store.ts';

/** The instant the tests' records are built around (and the SQLite store is opened at). */
export const NOW = Date.UTC(2025, 2, 14, 9, 30);
export const MIN = 60_000;

const cfg = defaultConfig();

/** A buy plan on XAUUSDc (entry 2400, stop 2390, target 2420, 0.3 lots), built as the legacy import builds one. */
export function plan(id: string, over: Partial<ExitPlan> = {}): ExitPlan {
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

/** A breakeven stop move of position `positionId`. */
export function intent(id: string, positionId = '1', over: Partial<Intent> = {}): Intent {
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

/** A partial close (0.1 lots) of lifetime `positionId` (`<ticket>#<n>`). */
export function partialIntent(id: string, positionId: string, over: Partial<Intent> = {}): Intent {
  return {
    id,
    positionId,
    symbol: 'XAUUSDc',
    kind: 'close_partial',
    rule: 'partial',
    episode: 1,
    newSl: Number.NaN,
    oldSl: null,
    volume: 0.1,
    time: NOW,
    price: 2405,
    reason: 'partial',
    targetId: positionId.split('#')[0]!,
    side: 'buy',
    comment: '',
    action: '',
    ...over,
  };
}

/** A trail decision (skipped: below the minimum change) of `positionId` at `time`. */
export function decision(positionId: string, time: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
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

/** The rules the journal tests cycle through (trail most often, DTMS one in seven). */
export const RULES: ExitRule[] = ['trail', 'breakeven', 'dtms', 'partial', 'trail', 'classify', 'trail'];

/** The i-th record of a journal: a wait of `rule`, a second apart, its price and note telling it apart. */
export function pageDecision(i: number, positionId: string, rule: ExitRule): DecisionRecord {
  return {
    ...newDecisionRecord(),
    time: NOW + i * 1000,
    positionId,
    symbol: 'XAUUSDc',
    rule,
    outcome: 'wait',
    reason: 'trigger_not_reached',
    changed: true,
    price: 2400 + i / 100,
    note: `n${i}`,
  };
}

/** A closed buy of 0.3 lots: a Warden partial then the stop, a DTMS hedge of unknown result. */
export function trade(key: string, closeTime: number, over: Partial<ClosedTrade> = {}): ClosedTrade {
  const [ticket] = key.split('#');
  return {
    key,
    ticket: ticket!,
    symbol: 'XAUUSDc',
    side: 'buy',
    openTime: closeTime - 30 * MIN,
    closeTime,
    entryPrice: 2400,
    volume: { opened: 0.3, closed: 0.3, closedByWarden: 0.1 },
    exitPrice: 2402.5,
    exitReason: 'sl',
    realizedProfit: 75,
    partialsProfit: 50,
    hedgesProfit: 0,
    fees: null,
    initialSl: 2390,
    riskMoney: 300,
    r: 0.25,
    deals: [
      {
        time: closeTime - 10 * MIN,
        volume: 0.1,
        price: 2405,
        profit: 50,
        by: 'warden',
        intentId: `${key}:partial:1`,
        partial: true,
        from: 'venue',
      },
      {
        time: closeTime,
        volume: 0.2,
        price: 2401.25,
        profit: 25,
        by: 'sl',
        intentId: '',
        partial: false,
        from: 'venue',
      },
    ],
    hedges: [
      { ticket: null, side: 'sell', volume: 0.15, openPrice: 2399, closePrice: null, profit: null, from: 'decision' },
    ],
    sources: {
      entry: 'venue',
      exit: 'venue',
      realized: 'venue',
      openTime: 'venue',
      closeTime: 'venue',
      initialSl: 'plan',
    },
    history: { venue: 'paper', status: 'answered', attempts: 1, error: '' },
    notes: ['a note'],
    recordedAt: closeTime + 1000,
    ...over,
  };
}

/** Lifetime `key` (`<ticket>#<n>`), started at NOW; ended at `endedAt` (null: still open). */
export function lifetime(
  key: string,
  endedAt: number | null,
  endReason = 'gone from the venue (closed)',
): StoredLifetime {
  const [ticket, nth] = key.split('#');
  return {
    key,
    ticket: ticket!,
    n: Number(nth),
    symbol: 'XAUUSDc',
    side: 'buy',
    openTime: NOW,
    entryPrice: 2400,
    startedAt: NOW,
    endedAt,
    endReason: endedAt === null ? '' : endReason,
  };
}

/** A managed buy position as the broker shows it. */
export function position(id: string, sl: number | null): Position {
  return {
    id,
    symbol: 'XAUUSDc',
    side: 'buy',
    volume: 0.3,
    entryPrice: 2400,
    sl,
    tp: null,
    openTime: 1_000,
    comment: 'scalp',
  };
}

/** The StoreError `fn` throws (fails the test if it throws something else or nothing). */
export function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

// What DTMS may do on an account, in the engine: with dtms.actions.openPositions off it opens nothing
// (a hedge is the netting account's close instead, a re-add is skipped, each saying why); and a
// position a trader took out of DTMS's hands gets no check and no action until it is given back.
// Driven by the crafted defensive episode (a buy meets a decline, a pause, a rally and a slow climb).
import { describe, expect, it } from 'vitest';
import { resolveAccountDefaults } from '../../src/config/accountDefaults.ts';
import { configSchema, type WardenConfig } from '../../src/config/schema.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { fromPlainJson, toPlainJson } from '../../src/domain/plainJson.ts';
import type { Bar, Intent, Position } from '../../src/domain/types.ts';
import { OPENING_OFF } from '../../src/dtms/monitorParams.ts';
import type { EngineSnapshot } from '../../src/engine/engineState.ts';
import { ExitEngine } from '../../src/engine/exitEngine.ts';
import { ArraySink, type DecisionRecord } from '../../src/exits/decisionRecord.ts';
import { gaussian, generateSampleMarket, seededRandom } from '../../src/market/sampleMarket.ts';
import { SimBook, spreadOf } from '../support/simBook.ts';

const SYMBOL = 'XAUUSDc';
/** The crafted path was built for the original's thresholds, with no grace and no confluence requirement. */
const ORIGINAL = {
  graceMinutes: 0,
  minAdverseLayers: 1,
  scores: { warningL1: -2, healthyFromL1: 0, warningL2: -4, l1FromL2: -2, hedge: -6 },
};
const withOpen = (openPositions: boolean | null): WardenConfig =>
  configSchema.parse({ dtms: { ...ORIGINAL, actions: { openPositions } } });

/** Bars from `from` on, leg after leg: a drift per bar plus gaussian noise (deterministic for a seed). */
function legs(
  from: Bar,
  spec: readonly { bars: number; drift: number }[],
  noise: number,
  seed: number,
  digits: number,
): Bar[] {
  const rand = seededRandom(seed);
  const scale = 10 ** digits;
  const round = (x: number) => Math.round(x * scale) / scale;
  const out: Bar[] = [];
  let t = from.time;
  let c = from.close;
  for (const leg of spec) {
    for (let i = 0; i < leg.bars; i++) {
      t += 60_000;
      const o = c;
      c = o + leg.drift + noise * gaussian(rand);
      const high = Math.max(o, c) + Math.abs(noise * gaussian(rand)) * 0.5;
      const low = Math.min(o, c) - Math.abs(noise * gaussian(rand)) * 0.5;
      out.push({
        time: t,
        open: round(o),
        high: round(high),
        low: round(low),
        close: round(c),
        volume: 60,
        spread: from.spread,
      });
    }
  }
  return out;
}

interface Episode {
  engine: ExitEngine;
  book: SimBook;
  sink: ArraySink;
  /** The DTMS states the position walked, in order ('gone' once it closed). */
  states: string[];
}

/**
 * The crafted episode on `cfg`: 600 warm-up bars, then a buy of 0.2 lots (stop 12 ATR away) and the
 * path. `at(i, e)` runs after path bar i (a trader's action, a restart); it may return another engine
 * and book to go on with.
 */
function episode(cfg: WardenConfig, at?: (i: number, e: Episode, bars: readonly Bar[]) => Episode | void): Episode {
  const warm = generateSampleMarket({
    seed: 7,
    bars: 600,
    startPrice: 2000,
    volatility: 0.0004,
    spread: 0.3,
    digits: 3,
    start: Date.UTC(2024, 0, 2, 6),
  }).bars;
  const sink = new ArraySink();
  const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
  const inst = instrumentFromConfig(cfg, SYMBOL);
  engine.addInstrument(inst);
  const book = new SimBook(engine, inst);
  for (const b of warm) book.step(b);
  const last = warm[warm.length - 1]!;
  const atr = engine.features(SYMBOL).atr;
  const entry = last.close + spreadOf(last);
  const now = last.time + 60_000;
  const pos: Position = {
    id: 'b1',
    symbol: SYMBOL,
    side: 'buy',
    volume: 0.2,
    entryPrice: entry,
    sl: entry - 12 * atr,
    tp: null,
    openTime: now,
    comment: '',
  };
  book.open(pos, now);
  const path = legs(
    last,
    [
      { bars: 28, drift: -0.08 * atr },
      { bars: 17, drift: 0 },
      { bars: 150, drift: 0.1 * atr },
      { bars: 300, drift: 0.03 * atr },
    ],
    0.1 * atr,
    3,
    inst.digits,
  );
  let e: Episode = { engine, book, sink, states: [] };
  const all = [...warm];
  for (let i = 0; i < path.length; i++) {
    e.book.step(path[i]!);
    all.push(path[i]!);
    const st = e.engine.defensiveState('b1')?.state ?? 'gone';
    if (e.states[e.states.length - 1] !== st) e.states.push(st);
    if (at) e = at(i, e, all) ?? e;
  }
  return e;
}

const dtmsRecords = (records: readonly DecisionRecord[]) =>
  records.filter((r) => r.rule === 'dtms' && r.positionId === 'b1');

describe('dtms.actions.openPositions', () => {
  it('resolves by the account: on for paper and replay, off on a real account; a value given stays', () => {
    const byAccount = configSchema.parse({});
    expect(byAccount.dtms.actions.openPositions).toBeNull();
    expect(resolveAccountDefaults(byAccount, { real: false }).dtms.actions.openPositions).toBe(true);
    const real = resolveAccountDefaults(byAccount, { real: true });
    expect(real.dtms.actions.openPositions).toBe(false);
    // A copy: the config given is not changed.
    expect(byAccount.dtms.actions.openPositions).toBeNull();
    // Nothing left to the account (exits.noDataPasses is another such setting): the same config back.
    const told = configSchema.parse({ dtms: { actions: { openPositions: true } }, exits: { noDataPasses: false } });
    expect(resolveAccountDefaults(told, { real: true })).toBe(told);
  });

  it('on (or left to a paper account): the episode is the same as before, hedge and re-add included', () => {
    const on = episode(withOpen(true));
    const byPaper = episode(resolveAccountDefaults(withOpen(null), { real: false }));
    const unresolved = episode(withOpen(null));
    expect(on.states.slice(0, 6)).toEqual(['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'HEALTHY']);
    expect(
      on.book.intents
        .filter((i) => i.rule === 'dtms')
        .map((i) => i.action)
        .slice(0, 3),
    ).toEqual(['tighten_stop', 'partial_close', 'open_hedge']);
    expect(on.book.counts.hedgesOpened).toBe(1);
    expect(on.book.counts.reAdds).toBe(1);
    for (const other of [byPaper, unresolved]) {
      expect(other.book.intents).toEqual(on.book.intents);
      expect(other.sink.records).toEqual(on.sink.records);
    }
    expect(on.sink.records.some((r) => r.note.includes(OPENING_OFF))).toBe(false);
  });

  it('off: reaching HEDGED closes the position instead (the netting path), and the records say why; nothing is opened', () => {
    const off = episode(withOpen(false));
    expect(off.book.violations).toEqual([]);
    // HEDGED and the close come in the same bar (the book answers at once): the position is gone after WARNING_L2.
    expect(off.states.slice(0, 4)).toEqual(['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'gone']);
    expect(off.book.intents.filter((i) => i.kind === 'open')).toEqual([]);
    expect(off.book.counts.hedgesOpened).toBe(0);
    const dtms = off.book.intents.filter((i) => i.rule === 'dtms');
    expect(dtms.map((i) => i.action)).toEqual(
      ['tighten_stop', 'partial_close', 'stop_to_breakeven', 'close_instead_of_hedge'].filter((a) =>
        dtms.some((i) => i.action === a),
      ),
    );
    const close = dtms.find((i) => i.action === 'close_instead_of_hedge')!;
    expect(close).toMatchObject({ kind: 'close', targetId: 'b1', volume: 0.1 });
    expect(off.book.isOpen('b1')).toBe(false);
    const recs = dtmsRecords(off.sink.records);
    const toHedged = recs.find((r) => r.reason === 'dtms_transition' && r.dtmsState === 'HEDGED')!;
    expect(toHedged.note).toContain(`close_instead_of_hedge in place of open_hedge: ${OPENING_OFF}`);
    expect(OPENING_OFF).toBe('opening positions is off on this account (dtms.actions.openPositions)');
    const sent = recs.find((r) => r.outcome === 'intent' && r.intentId === close.id)!;
    expect(sent.note).toContain(`in place of a hedge: ${OPENING_OFF}`);
  });

  it('off after a restart with a hedge open: no re-add, skipped with its reason; the hedge still closes', () => {
    let hedgeSeen = false;
    const e = episode(withOpen(true), (_i, e, bars) => {
      if (hedgeSeen || e.book.counts.hedgesOpened === 0) return;
      hedgeSeen = true;
      // The restart, under a config that no longer allows opening positions.
      const cfg = withOpen(false);
      const sink = new ArraySink();
      const engine = new ExitEngine(cfg, { baseTimeframe: 'M1', sink });
      engine.addInstrument(e.book.inst);
      const scratch: Intent[] = [];
      for (const b of bars) engine.onBar(SYMBOL, b, scratch);
      engine.restoreSnapshot(fromPlainJson(toPlainJson(e.engine.snapshot())) as EngineSnapshot);
      return { engine, sink, book: e.book.cloneFor(engine), states: e.states };
    });
    expect(hedgeSeen).toBe(true);
    expect(e.book.violations).toEqual([]);
    expect(e.states.slice(0, 6)).toEqual(['HEALTHY', 'WARNING_L1', 'WARNING_L2', 'HEDGED', 'RECOVERING', 'HEALTHY']);
    expect(e.book.intents.filter((i) => i.kind === 'open')).toEqual([]);
    const skipped = dtmsRecords(e.sink.records).filter(
      (r) => r.reason === 'dtms_action_skipped' && r.note.startsWith('re_add'),
    );
    expect(skipped.map((r) => r.note)).toEqual([`re_add: open_positions_off: ${OPENING_OFF}`]);
    const back = dtmsRecords(e.sink.records).find(
      (r) => r.reason === 'dtms_transition' && r.dtmsFrom === 'RECOVERING' && r.dtmsState === 'HEALTHY',
    )!;
    expect(back.note).toContain(`re_add skipped: open_positions_off: ${OPENING_OFF}`);
  });
});

describe("a position out of DTMS's hands", () => {
  it('gets no check and no action; the stop goes back to the exit plan; given back, DTMS picks up where it was', () => {
    let disabledAt = -1;
    let enabledAt = -1;
    let checksWhileOff = -1;
    const e = episode(withOpen(true), (i, e) => {
      const st = e.engine.defensiveState('b1')?.state;
      if (disabledAt < 0 && st === 'WARNING_L2' && e.engine.plan('b1')!.pending === null) {
        disabledAt = i;
        const r = e.engine.disableDefence('b1', 'managing it by hand');
        expect(r.ok).toBe(true);
        checksWhileOff = e.engine.deepChecks;
        expect(e.engine.disableDefence('b1', 'again')).toMatchObject({ ok: false, problem: 'unchanged' });
      }
      if (disabledAt >= 0 && enabledAt < 0 && i === disabledAt + 60) {
        // An hour without DTMS: not one deep check for it (the only position).
        expect(e.engine.deepChecks).toBe(checksWhileOff);
        enabledAt = i;
        expect(e.engine.enableDefence('b1', 'done by hand')).toMatchObject({ ok: true });
      }
    });
    expect(e.book.violations).toEqual([]);
    expect(disabledAt).toBeGreaterThan(0);
    expect(enabledAt).toBeGreaterThan(0);
    const recs = dtmsRecords(e.sink.records);
    const off = recs.findIndex((r) => r.reason === 'dtms_disabled');
    const on = recs.findIndex((r) => r.reason === 'dtms_enabled');
    expect(recs[off]!.note).toMatch(
      /^taken out of DTMS's hands by hand: managing it by hand; DTMS stops in WARNING_L2 \(score [-\d.]+\): no check, no action; the exit plan takes the stop back at SL [\d.]+, never loosening it; .*no hedge open$/,
    );
    expect(recs[off]!.outcome).toBe('info');
    // Between the two: nothing from DTMS.
    expect(recs.slice(off + 1, on)).toEqual([]);
    expect(recs[on]!.note).toContain('given back to DTMS by hand: done by hand; out of its hands since');
    expect(recs[on]!.note).toContain('picks up in WARNING_L2');
    // Given back: it checks at once, and takes the stop again (recorded) while it owns it in its state.
    expect(recs.slice(on + 1, on + 3).map((r) => [r.reason, r.time - recs[on]!.time])).toEqual([
      ['dtms_transition', 60_000],
      ['stop_to_dtms', 60_000],
    ]);
    expect(e.engine.deepChecks).toBeGreaterThan(0);
    // While out of DTMS's hands, the exit plan's stop rules did not wait for DTMS.
    const planRecs = e.sink.records.filter((r) => r.positionId === 'b1' && r.rule !== 'dtms');
    const offTime = recs[off]!.time;
    const onTime = recs[on]!.time;
    expect(planRecs.filter((r) => r.time > offTime && r.time <= onTime && r.reason === 'dtms_owns_stop')).toEqual([]);
  });

  it('its hedge stays open as it is, also when the position closes; the state goes through a restart', () => {
    let done = false;
    const e = episode(withOpen(true), (_i, e) => {
      if (done || e.engine.defence('b1')?.tracked.hedgeId == null) return;
      done = true;
      const hedgeId = e.engine.defence('b1')!.tracked.hedgeId!;
      const r = e.engine.disableDefence('b1', 'hedge is mine now');
      expect(r.ok && r.note).toContain(
        `its hedge #${hedgeId} (0.05) stays open as it is: DTMS will not close it, even when the position closes`,
      );
      const snap = fromPlainJson(toPlainJson(e.engine.snapshot())) as EngineSnapshot;
      expect(snap.positions[0]!.defence!.disabled).toMatchObject({ reason: 'hedge is mine now' });
      // The trader closes the position by hand: its hedge is not closed as an orphan.
      e.engine.untrack('b1');
      expect(e.engine.hedgeIds()).toEqual([hedgeId]);
    });
    expect(done).toBe(true);
    expect(e.book.intents.filter((i) => i.action === 'close_orphan_hedge')).toEqual([]);
  });

  it('refuses what it cannot do: an unknown position, DTMS off in the config', () => {
    const engine = new ExitEngine(configSchema.parse({}), { baseTimeframe: 'M1', sink: new ArraySink() });
    expect(engine.disableDefence('nope', 'x')).toMatchObject({ ok: false, problem: 'not_managed' });
    const off = new ExitEngine(configSchema.parse({ dtms: { enabled: false } }), {
      baseTimeframe: 'M1',
      sink: new ArraySink(),
    });
    off.addInstrument(instrumentFromConfig(off.config, SYMBOL));
    off.track(
      {
        id: 'p',
        symbol: SYMBOL,
        side: 'buy',
        volume: 0.1,
        entryPrice: 2000,
        sl: 1990,
        tp: null,
        openTime: 0,
        comment: '',
      },
      0,
    );
    expect(off.disableDefence('p', 'x')).toMatchObject({
      ok: false,
      problem: 'dtms_off',
      message: 'DTMS is off in the config (dtms.enabled): it defends no position',
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MACHINE_PARAMS,
  DTMS_ACTION_BITS,
  deepCheck,
  newDefensiveState,
  positionGone,
  type DeepCheckInput,
  type DefensiveState,
  type DtmsActionKind,
} from '../../src/dtms/defensiveState.ts';

const MIN = 60_000;
const DEEP = 15 * MIN;
const calm = (score: number, extra: Partial<DeepCheckInput> = {}): DeepCheckInput => ({
  score,
  vwapFlipAgainst: false,
  volumeFlipAgainst: false,
  structureResumed: false,
  adverseLayers: 3,
  ageMs: Infinity,
  ...extra,
});

/** A machine and a clock that advances one deep check per step. */
/**
 * The original's thresholds, no grace and no confluence requirement: the mechanics below (hysteresis,
 * one step per check, timers, one action per episode) are the same at any scale.
 */
const ORIGINAL: typeof DEFAULT_MACHINE_PARAMS = {
  ...DEFAULT_MACHINE_PARAMS,
  l1Enter: -2,
  l1Exit: 0,
  l2Enter: -4,
  l2Exit: -2,
  hedgeEnter: -6,
  graceMs: 0,
  minAdverseLayers: 1,
};

function machine(p = ORIGINAL) {
  const s = newDefensiveState('7', 0);
  let now = 0;
  return {
    s,
    step(input: DeepCheckInput | number, advance = DEEP) {
      now += advance;
      return deepCheck(s, typeof input === 'number' ? calm(input) : input, now, p);
    },
  };
}

describe('DTMS state machine: transitions and their actions', () => {
  it('HEALTHY -> WARNING_L1 at -2 tightens the stop; back to HEALTHY only at >= 0 (hysteresis)', () => {
    const m = machine();
    expect(m.step(-1.9)).toMatchObject({ to: 'HEALTHY', actions: [] });
    expect(m.step(-2)).toMatchObject({ from: 'HEALTHY', to: 'WARNING_L1', actions: ['tighten_stop'] });
    expect(m.step(-0.5)).toMatchObject({ to: 'WARNING_L1', actions: [] });
    expect(m.step(0)).toMatchObject({ to: 'HEALTHY', actions: [] });
    expect(m.s.episode).toBe(1);
  });

  it('WARNING_L1 -> WARNING_L2 at -4 closes half and moves the stop to breakeven; DTMS takes the stop', () => {
    const m = machine();
    m.step(-3);
    expect(m.s.ownsStop).toBe(false);
    expect(m.step(-4.5)).toMatchObject({ to: 'WARNING_L2', actions: ['partial_close', 'stop_to_breakeven'] });
    expect(m.s.ownsStop).toBe(true);
  });

  it('one transition per deep check: a crash from HEALTHY to -10 goes one level at a time', () => {
    const m = machine();
    expect(m.step(-10).to).toBe('WARNING_L1');
    expect(m.step(-10).to).toBe('WARNING_L2');
    expect(m.step(-10)).toMatchObject({ to: 'HEDGED', actions: ['open_hedge'] });
  });

  it('bouncing between WARNING_L1 and WARNING_L2 never repeats the 50% close (one action per episode)', () => {
    const m = machine();
    m.step(-3);
    expect(m.step(-5).actions).toEqual(['partial_close', 'stop_to_breakeven']);
    expect(m.step(-1)).toMatchObject({ to: 'WARNING_L1', actions: [] });
    expect(m.step(-5)).toMatchObject({ to: 'WARNING_L2', actions: [] });
    expect(m.s.ownsStop).toBe(true); // still DTMS's until HEALTHY
    // A new episode (after HEALTHY) may close half again.
    m.step(-1);
    expect(m.step(1).to).toBe('HEALTHY');
    expect(m.s.ownsStop).toBe(false);
    m.step(-3);
    expect(m.step(-5).actions).toEqual(['partial_close', 'stop_to_breakeven']);
    expect(m.s.episode).toBe(2);
  });

  it('WARNING_L2 hedges on VWAP and volume flipping against the trade, even above -6', () => {
    const m = machine();
    m.step(-3);
    m.step(-5);
    expect(m.step(calm(-4.5, { vwapFlipAgainst: true })).to).toBe('WARNING_L2');
    expect(m.step(calm(-4.5, { vwapFlipAgainst: true, volumeFlipAgainst: true }))).toMatchObject({
      to: 'HEDGED',
      actions: ['open_hedge'],
    });
  });

  it('a netting account closes instead of hedging', () => {
    const m = machine({ ...ORIGINAL, hedging: false });
    m.step(-3);
    m.step(-5);
    expect(m.step(-7)).toMatchObject({ to: 'HEDGED', actions: ['close_instead_of_hedge'] });
  });

  it('HEDGED: the flat timer really resolves, closing everything after 75 min without recovery', () => {
    const m = machine();
    m.step(-3);
    m.step(-5);
    m.step(-7);
    for (let i = 0; i < 4; i++) expect(m.step(-1).to).toBe('HEDGED'); // 60 min hedged
    expect(m.step(-1)).toMatchObject({ to: 'CLOSED', actions: ['close_all'] }); // 75 min
    expect(m.s.ownsStop).toBe(false);
    expect(m.step(5)).toMatchObject({ to: 'CLOSED', actions: [] });
  });

  it('HEDGED -> RECOVERING when structure resumes; the recovery timer decides HEALTHY (re-add) or CLOSED', () => {
    const ok = machine();
    ok.step(-3);
    ok.step(-5);
    ok.step(-7);
    expect(ok.step(calm(2))).toMatchObject({ to: 'HEDGED' }); // a better score alone is not a recovery
    expect(ok.step(calm(2, { structureResumed: true }))).toMatchObject({ to: 'RECOVERING', actions: ['close_hedge'] });
    expect(ok.step(2).to).toBe('RECOVERING'); // 15 of 30 min
    expect(ok.step(2)).toMatchObject({ to: 'HEALTHY', actions: ['re_add'] });

    const bad = machine();
    bad.step(-3);
    bad.step(-5);
    bad.step(-7);
    bad.step(calm(1, { structureResumed: true }));
    bad.step(0);
    expect(bad.step(0.5)).toMatchObject({ to: 'CLOSED', actions: ['close_all'] });
  });

  it('a minimum time in each state: no transition within 15 min of the last', () => {
    const m = machine();
    expect(m.step(-3).to).toBe('WARNING_L1');
    expect(m.step(5, 10 * MIN)).toMatchObject({ to: 'WARNING_L1', reason: 'minimum_time_in_state' });
    expect(m.step(5, 5 * MIN).to).toBe('HEALTHY');
  });

  it('a position gone at the broker ends the machine without actions', () => {
    const m = machine();
    m.step(-3);
    m.step(-5);
    positionGone(m.s, 10 * DEEP);
    expect(m.s).toMatchObject({ state: 'CLOSED', ownsStop: false });
    expect(m.step(-10).actions).toEqual([]);
  });
});

describe('DTMS state machine invariants (property)', () => {
  it('any score path: one transition per check, minimum time in state, no action twice in an episode, partial close at most once per episode', () => {
    const input = fc.record({
      score: fc.integer({ min: -12, max: 6 }),
      vwapFlipAgainst: fc.boolean(),
      volumeFlipAgainst: fc.boolean(),
      structureResumed: fc.boolean(),
      advanceMin: fc.constantFrom(1, 5, 15, 15, 15, 30),
      adverseLayers: fc.integer({ min: 0, max: 6 }),
      ageMs: fc.constantFrom(0, 10 * MIN, Infinity),
    });
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 80 }), fc.boolean(), (steps, hedging) => {
        const p = { ...ORIGINAL, hedging };
        const s: DefensiveState = newDefensiveState('1', 0);
        let now = 0;
        const seen = new Map<number, number>(); // episode -> action bits asked for
        for (const st of steps) {
          now += st.advanceMin * MIN;
          const beforeSince = s.since;
          const beforeTransitions = s.transitions;
          const r = deepCheck(s, st, now, p);
          expect(s.transitions - beforeTransitions).toBeLessThanOrEqual(1);
          if (r.to !== r.from) expect(now - beforeSince).toBeGreaterThanOrEqual(p.minTimeInStateMs);
          else expect(r.actions).toEqual([]);
          const bits = seen.get(s.episode) ?? 0;
          let next = bits;
          for (const a of r.actions as DtmsActionKind[]) {
            expect(next & DTMS_ACTION_BITS[a]).toBe(0);
            next |= DTMS_ACTION_BITS[a];
          }
          seen.set(s.episode, next);
          // DTMS holds the stop from WARNING_L2 / HEDGED until HEALTHY (or the end).
          if (s.state === 'WARNING_L2' || s.state === 'HEDGED') expect(s.ownsStop).toBe(true);
          if (s.state === 'HEALTHY' || s.state === 'CLOSED') expect(s.ownsStop).toBe(false);
          if (s.state === 'HEDGED') expect(Number.isFinite(s.flatTimerStart)).toBe(true);
          if (s.state === 'RECOVERING') expect(Number.isFinite(s.recoveryTimerStart)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DTMS calibrated: a grace period after entry, and no warning from one layer alone', () => {
  const MIN30 = 30 * MIN;
  it('defaults: WARNING_L1 at -5, WARNING_L2 at -8, hedge at -14, a 30-minute grace, three layers against the trade', () => {
    expect(DEFAULT_MACHINE_PARAMS).toMatchObject({
      l1Enter: -5,
      l2Enter: -8,
      hedgeEnter: -14,
      graceMs: MIN30,
      minAdverseLayers: 3,
    });
  });

  it('in the grace period a warning-level score does nothing; a hedge-level one escalates; after it the same score warns', () => {
    const p = DEFAULT_MACHINE_PARAMS;
    const s = newDefensiveState('9', 0);
    expect(deepCheck(s, calm(-7, { ageMs: 15 * MIN }), 15 * MIN, p)).toMatchObject({ to: 'HEALTHY', actions: [] });
    expect(deepCheck(s, calm(-7, { ageMs: MIN30 - 1 }), MIN30 - 1, p).to).toBe('HEALTHY');
    expect(deepCheck(s, calm(-7, { ageMs: MIN30 }), MIN30, p)).toMatchObject({
      from: 'HEALTHY',
      to: 'WARNING_L1',
      actions: ['tighten_stop'],
    });
    const young = newDefensiveState('10', 0);
    expect(deepCheck(young, calm(-14, { ageMs: 15 * MIN }), 15 * MIN, p)).toMatchObject({
      to: 'WARNING_L1',
      actions: ['tighten_stop'],
    });
  });

  it('fewer layers against the trade than required never escalate, whatever the score; recovery needs no confluence', () => {
    const p = DEFAULT_MACHINE_PARAMS;
    const s = newDefensiveState('11', 0);
    expect(deepCheck(s, calm(-20, { adverseLayers: 2 }), 15 * MIN, p).to).toBe('HEALTHY');
    expect(deepCheck(s, calm(-6, { adverseLayers: 3 }), 30 * MIN, p).to).toBe('WARNING_L1');
    expect(deepCheck(s, calm(-20, { adverseLayers: 1 }), 45 * MIN, p).to).toBe('WARNING_L1');
    expect(deepCheck(s, calm(0, { adverseLayers: 0 }), 60 * MIN, p).to).toBe('HEALTHY');
  });

  it('property: no escalation with fewer adverse layers than required, none in the grace period above the hedge score', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            score: fc.double({ min: -30, max: 5, noNaN: true }),
            adverseLayers: fc.integer({ min: 0, max: 6 }),
            ageMin: fc.integer({ min: 0, max: 120 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (steps) => {
          const p = DEFAULT_MACHINE_PARAMS;
          const s = newDefensiveState('12', 0);
          let now = 0;
          const rank: Record<string, number> = {
            HEALTHY: 0,
            WARNING_L1: 1,
            WARNING_L2: 2,
            HEDGED: 3,
            RECOVERING: 3,
            CLOSED: 4,
          };
          for (const st of steps) {
            now += DEEP;
            const r = deepCheck(s, calm(st.score, { adverseLayers: st.adverseLayers, ageMs: st.ageMin * MIN }), now, p);
            const escalated = rank[r.to]! > rank[r.from]! && r.to !== 'CLOSED' && r.to !== 'RECOVERING';
            if (escalated) {
              expect(st.adverseLayers).toBeGreaterThanOrEqual(p.minAdverseLayers);
              if (st.ageMin * MIN < p.graceMs) expect(st.score).toBeLessThanOrEqual(p.hedgeEnter);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { defaultConfig, formatConfigErrors, parseConfig } from '../../src/config/load.ts';
import { DEFAULT_MONITOR_PARAMS } from '../../src/dtms/monitorParams.ts';
import { monitorParamsFromConfig } from '../../src/dtms/dtmsParams.ts';
import { at, errs, ok } from './helpers.ts';

describe('dtms config defaults', () => {
  const cfg = ok(parseConfig({}, 'test'));

  it('map exactly onto DEFAULT_MONITOR_PARAMS', () => {
    expect(monitorParamsFromConfig(cfg.dtms)).toEqual(DEFAULT_MONITOR_PARAMS);
  });

  it('defend every position by default', () => {
    expect(cfg.dtms.enabled).toBe(true);
    expect(defaultConfig().dtms).toEqual(cfg.dtms);
  });

  it('the mapped params do not share the config table', () => {
    const params = monitorParamsFromConfig(cfg.dtms);
    expect(params.regime.vwapSlopeBase).not.toBe(cfg.dtms.vwapSlopeBase);
  });
});

describe('dtms ranges', () => {
  const refused = (path: string, value: unknown, range: string) => {
    const errors = errs(parseConfig(at(path, value), 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toContain(range);
    expect(errors[0]?.message).toContain(String(value));
  };

  it.each([
    ['dtms.deepCheckSec', 59, 'a whole number between 60 and 3600'],
    ['dtms.deepCheckSec', 3601, 'a whole number between 60 and 3600'],
    ['dtms.fastCheckSec', 4, 'a whole number between 5 and 900'],
    ['dtms.fastCheckSec', 30.5, 'a whole number between 5 and 900'],
    ['dtms.hedgedFastCheckSec', 901, 'a whole number between 5 and 900'],
    ['dtms.cooldownSec', -1, 'a whole number between 0 and 3600'],
    ['dtms.staleDataSec', 5, 'a whole number between 10 and 86400'],
    ['dtms.spreadSpikeFactor', 0.5, 'between 1 and 20'],
    ['dtms.dailyLossLimitPct', 101, 'between 0 and 100'],
    ['dtms.hourlyLossLimitPct', -1, 'between 0 and 100'],
    ['dtms.maxConsecutiveStops', 101, 'a whole number between 0 and 100'],
    ['dtms.scores.hedge', -31, 'between -30 and 30'],
    ['dtms.scores.recover', 31, 'between -30 and 30'],
    ['dtms.hedgedFlatMinutes', 0, 'between 1 and 1440'],
    ['dtms.recoveryMinutes', 1441, 'between 1 and 1440'],
    ['dtms.minTimeInStateMinutes', -1, 'between 0 and 1440'],
    ['dtms.actions.tightenR', 6, 'between 0 and 5'],
    ['dtms.actions.partialClosePct', 150, 'between 0 and 100'],
    ['dtms.actions.hedgeShare', 0, 'between 0.01 and 1'],
    ['dtms.actions.hedgeStopAtr', 0.05, 'between 0.1 and 10'],
    ['dtms.actions.reAddShare', 1.5, 'between 0 and 1'],
    ['dtms.vwapSlopeBase.DEFAULT', 0.5, 'between 0.000001 and 0.1'],
  ])('%s = %d is refused', (path, value, range) => {
    refused(path, value, range);
  });

  it('the message has the offending value and the range', () => {
    expect(errs(parseConfig(at('dtms.deepCheckSec', 30), 'test'))).toEqual([
      { path: 'dtms.deepCheckSec', message: '30 is out of range: must be a whole number between 60 and 3600' },
    ]);
  });

  it('a value of the wrong type is refused, not defaulted', () => {
    expect(errs(parseConfig(at('dtms.enabled', 'yes'), 'test'))).toEqual([
      { path: 'dtms.enabled', message: '"yes" is not valid: must be true or false' },
    ]);
  });

  it('the limits themselves are accepted', () => {
    const cfg = ok(
      parseConfig(
        {
          dtms: { deepCheckSec: 60, cooldownSec: 0, maxConsecutiveStops: 0, actions: { hedgeShare: 1, reAddShare: 0 } },
        },
        'test',
      ),
    );
    expect(cfg.dtms.deepCheckSec).toBe(60);
    expect(cfg.dtms.maxConsecutiveStops).toBe(0);
  });
});

describe('dtms score ordering', () => {
  it('warningL2 >= warningL1 is refused, naming both fields', () => {
    const errors = errs(parseConfig(at('dtms.scores.warningL1', -8), 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('dtms.scores');
    expect(errors[0]?.message).toContain('warningL2 (-8) must be less than warningL1 (-8)');
    expect(formatConfigErrors(errors)).toBe(
      'dtms.scores: warningL2 (-8) must be less than warningL1 (-8) (escalation order hedge < warningL2 < warningL1)',
    );
  });

  it.each([
    [{ hedge: -8 }, 'hedge (-8) must be less than warningL2 (-8)'],
    [{ healthyFromL1: -5 }, 'warningL1 (-5) must be less than healthyFromL1 (-5)'],
    [{ l1FromL2: -9 }, 'warningL2 (-8) must be less than l1FromL2 (-9)'],
  ])('%j is refused: %s', (scores, text) => {
    const errors = errs(parseConfig({ dtms: { scores } }, 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe('dtms.scores');
    expect(errors[0]?.message).toContain(text);
  });

  it('every broken pair is reported', () => {
    const errors = errs(parseConfig(at('dtms.scores.warningL2', -5), 'test'));
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining('warningL2 (-5) must be less than warningL1 (-5)'),
      expect.stringContaining('warningL2 (-5) must be less than l1FromL2 (-5)'),
    ]);
  });

  it('an out-of-range score is reported once, by its own field', () => {
    const errors = errs(parseConfig(at('dtms.scores.hedge', 40), 'test'));
    expect(errors).toEqual([{ path: 'dtms.scores.hedge', message: '40 is out of range: must be between -30 and 30' }]);
  });

  it('a consistent custom scale is accepted', () => {
    const scores = { warningL1: -3, healthyFromL1: -1, warningL2: -6, l1FromL2: -4, hedge: -9, recover: 2 };
    expect(ok(parseConfig({ dtms: { scores } }, 'test')).dtms.scores).toEqual(scores);
  });
});

describe('dtms unknown keys', () => {
  it.each([
    [{ dtms: { deepCheck: 300 } }, 'dtms.deepCheck'],
    [{ dtms: { scores: { warning: -3 } } }, 'dtms.scores.warning'],
    [{ dtms: { actions: { hedgeSize: 0.5 } } }, 'dtms.actions.hedgeSize'],
  ])('%j is refused, naming the key', (raw, path) => {
    const errors = errs(parseConfig(raw, 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toContain(`unknown key "${path.split('.').pop() ?? ''}"`);
  });

  it('a vwapSlopeBase entry is merged over the built-in table (like exits.rmag.thresholds); broker spellings are refused', () => {
    const cfg = ok(parseConfig(at('dtms.vwapSlopeBase', { XAUUSD: 0.002 }), 'test'));
    expect(cfg.dtms.vwapSlopeBase).toEqual({ ...DEFAULT_MONITOR_PARAMS.regime.vwapSlopeBase, XAUUSD: 0.002 });
    const errors = errs(parseConfig(at('dtms.vwapSlopeBase', { XAUUSDc: 0.002 }), 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('dtms.vwapSlopeBase.XAUUSDc');
    expect(errors[0]!.message).toContain('XAUUSD');
  });
});

describe('custom values map through', () => {
  it('seconds and minutes become milliseconds, scores the machine thresholds, actions the defensive params', () => {
    const cfg = ok(
      parseConfig(
        {
          dtms: {
            deepCheckSec: 300,
            fastCheckSec: 10,
            hedgedFastCheckSec: 20,
            cooldownSec: 120,
            staleDataSec: 600,
            spreadSpikeFactor: 3,
            dailyLossLimitPct: 5,
            hourlyLossLimitPct: 2.5,
            maxConsecutiveStops: 0,
            scores: { warningL1: -3, healthyFromL1: -1, warningL2: -6, l1FromL2: -4, hedge: -9, recover: 2 },
            hedgedFlatMinutes: 60,
            recoveryMinutes: 45,
            minTimeInStateMinutes: 0,
            graceMinutes: 10,
            minAdverseLayers: 2,
            actions: { tightenR: 0.5, partialClosePct: 30, hedgeShare: 0.25, hedgeStopAtr: 1, reAddShare: 0 },
            vwapSlopeBase: { XAUUSD: 0.0015, DEFAULT: 0.002 },
          },
        },
        'test',
      ),
    );
    const p = monitorParamsFromConfig(cfg.dtms);
    expect(p.deepCheckMs).toBe(300_000);
    expect(p.fastCheckMs).toBe(10_000);
    expect(p.hedgedFastCheckMs).toBe(20_000);
    expect(p.cooldownMs).toBe(120_000);
    expect(p.staleBarMs).toBe(600_000);
    expect(p.spreadSpikeFactor).toBe(3);
    expect(p.dailyLossLimitPct).toBe(5);
    expect(p.hourlyLossLimitPct).toBe(2.5);
    expect(p.maxConsecutiveStops).toBe(0);
    expect(p.machine).toEqual({
      l1Enter: -3,
      l1Exit: -1,
      l2Enter: -6,
      l2Exit: -4,
      hedgeEnter: -9,
      recoverScore: 2,
      flatTimerMs: 3_600_000,
      recoveryTimerMs: 2_700_000,
      minTimeInStateMs: 0,
      hedging: DEFAULT_MONITOR_PARAMS.machine.hedging,
      graceMs: 600_000,
      minAdverseLayers: 2,
    });
    expect(p.defensive).toEqual({
      tightenR: 0.5,
      partialClosePct: 30,
      hedgeShare: 0.25,
      hedgeStopAtr: 1,
      reAddShare: 0,
    });
    expect(p.regime).toEqual({
      ...DEFAULT_MONITOR_PARAMS.regime,
      vwapSlopeBase: { ...DEFAULT_MONITOR_PARAMS.regime.vwapSlopeBase, XAUUSD: 0.0015, DEFAULT: 0.002 },
    });
    expect(p.score).toEqual(DEFAULT_MONITOR_PARAMS.score);
  });

  it('one field changed leaves the rest at their defaults', () => {
    const p = monitorParamsFromConfig(ok(parseConfig(at('dtms.deepCheckSec', 300), 'test')).dtms);
    expect(p).toEqual({ ...DEFAULT_MONITOR_PARAMS, deepCheckMs: 300_000 });
  });
});

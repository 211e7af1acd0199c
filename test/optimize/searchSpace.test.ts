// The search space: every draw, and every range end, is a config the schema accepts; the values land on
// their config paths; the symbol's session multipliers keep their shape.
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/load.ts';
import { seededRandom } from '../../src/market/sampleMarket.ts';
import {
  applyTrial,
  baselineParams,
  sampleTrials,
  SEARCH_SPACE,
  trialConfig,
  type TrialParams,
} from '../../src/optimize/searchSpace.ts';

const config = defaultConfig();

describe('search space', () => {
  it('draws valid configs, deterministically for a seed', () => {
    const a = sampleTrials(40, seededRandom(7), {}, config, 'XAUUSD');
    const b = sampleTrials(40, seededRandom(7), {}, config, 'XAUUSD');
    expect(a).toEqual(b);
    for (const p of a) {
      const c = trialConfig({}, config, 'XAUUSD', p).config;
      expect(c.exits.breakeven.atR).toBe(p['breakevenR']);
      expect(c.exits.tradeTypes.INTRADAY.partialPct).toBe(p['partialTriggerPct']);
      expect(c.exits.symbolParams['XAUUSD']!.trailingMultiplier).toBe(p['trailMultiplier']);
      expect(c.dtms.graceMinutes).toBe(p['dtmsGraceMinutes']);
      expect(c.exits.trailing.gates.vwap).toBe(p['gate_vwap']);
    }
  });

  it('accepts both ends of every range', () => {
    for (const end of ['min', 'max'] as const) {
      const params: TrialParams = {};
      for (const p of SEARCH_SPACE) params[p.name] = p.kind === 'bool' ? end === 'max' : p[end];
      const r = parseConfig(applyTrial({}, config, 'XAUUSD', params), 'test');
      expect(r.ok).toBe(true);
    }
  });

  it('scales the session multipliers by the base ratio, and reads the baseline back', () => {
    const base = baselineParams(config, 'XAUUSD');
    expect(base['trailMultiplier']).toBe(1.5);
    expect(base['breakevenR']).toBe(1);
    const c = trialConfig({}, config, 'XAUUSD', { ...base, trailMultiplier: 3 }).config;
    // ASIAN 1.8 x 2 clamps at the schema's 3.0; LONDON 1.5 x 2 = 3.0; OVERLAP 1.3 x 2 = 2.6.
    expect(c.exits.symbolParams['XAUUSD']!.sessions.OVERLAP?.trailingMultiplier).toBe(2.6);
    expect(c.exits.symbolParams['XAUUSD']!.sessions.ASIAN?.trailingMultiplier).toBe(3);
    // The trader's own values, applied, change nothing the engine reads, except the partial: one value
    // is searched for every trade type, and the baseline shows the INTRADAY one.
    const same = trialConfig({}, config, 'XAUUSD', base).config;
    expect(base['partialTriggerPct']).toBe(60);
    expect({ ...same.exits, tradeTypes: null }).toEqual({ ...config.exits, tradeTypes: null });
    expect(same.dtms).toEqual(config.dtms);
  });
});

// Strategy templates in the config: the original bot's 13 strategy types by default, a template's
// fields within the exits fields' ranges, templates named per symbol, and any unknown name refused at
// load with the field and the known names.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { errs, ok, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());

const ORIGINAL_13 = [
  'breakout_ib_volatility_trap',
  'trend_continuation_pullback',
  'liquidity_sweep_reversal',
  'order_block_rejection',
  'mean_reversion_range_scalp',
  'breaker_block',
  'market_structure_shift',
  'fvg_retracement',
  'mitigation_block',
  'inducement_reversal',
  'premium_discount_array',
  'session_liquidity_run',
  'kill_zone',
];
const KNOWN = ORIGINAL_13.join(', ');

describe('exits.strategies: the defaults', () => {
  const cfg = ok(parseConfig({}, 'test'));

  it("hold the original's 13 strategy types, and no symbol names one", () => {
    expect(Object.keys(cfg.exits.strategies)).toEqual(ORIGINAL_13);
    expect(cfg.exits.strategyBySymbol).toEqual({ DEFAULT: null });
  });

  it("carry the original's parameters: breakeven in R, its trailing timeframes, the breakout's partial, the range scalp's no trailing", () => {
    const s = cfg.exits.strategies;
    expect(s.breakout_ib_volatility_trap).toEqual({
      breakevenR: 1,
      partialPct: 75,
      partialClosePct: 50,
      trailingMultiplier: 1.5,
      trailingTimeframe: 'M5',
    });
    expect(s.trend_continuation_pullback).toEqual({ breakevenR: 1, trailingTimeframe: 'M5' });
    expect(s.liquidity_sweep_reversal).toEqual({ breakevenR: 0.5, trailingTimeframe: 'M1' });
    expect(s.order_block_rejection).toEqual({ breakevenR: 1, trailingTimeframe: 'M5' });
    expect(s.mean_reversion_range_scalp).toEqual({ breakevenR: 0.5, trailingEnabled: false });
    // The SMC types had no entry of their own in the original: its defaults, here Warden's.
    for (const n of ORIGINAL_13.slice(5)) expect(s[n]).toEqual({});
  });
});

describe('exits.strategies: your templates', () => {
  it('merge over the built-in ones field by field (null goes back to the default), and new names are added', () => {
    const cfg = ok(
      parseConfig(
        {
          exits: {
            strategies: {
              breakout_ib_volatility_trap: { trailingMultiplier: null, bufferMultiplier: 0.2 },
              london_open: { breakevenPct: 20, partialPct: 45, partialClosePct: 30, trailingTimeframe: 'M30' },
            },
          },
        },
        'test',
      ),
    );
    expect(cfg.exits.strategies.breakout_ib_volatility_trap).toEqual({
      breakevenR: 1,
      partialPct: 75,
      partialClosePct: 50,
      trailingTimeframe: 'M5',
      bufferMultiplier: 0.2,
    });
    expect(cfg.exits.strategies.london_open).toEqual({
      breakevenPct: 20,
      partialPct: 45,
      partialClosePct: 30,
      trailingTimeframe: 'M30',
    });
    expect(Object.keys(cfg.exits.strategies)).toHaveLength(14);
  });

  it("are refused outside the exits fields' ranges, with the field named", () => {
    const e = errs(
      parseConfig(
        {
          exits: {
            strategies: {
              kill_zone: {
                trailingMultiplier: 3.5,
                bufferMultiplier: 0.05,
                breakevenR: 0,
                partialClosePct: 120,
                trailingTimeframe: 'M2',
                trailing: true,
              },
            },
          },
        },
        'test',
      ),
    );
    expect(e).toEqual(
      expect.arrayContaining([
        {
          path: 'exits.strategies.kill_zone.trailingMultiplier',
          message: '3.5 is out of range: must be between 0.5 and 3',
        },
        {
          path: 'exits.strategies.kill_zone.bufferMultiplier',
          message: '0.05 is out of range: must be between 0.1 and 1',
        },
        { path: 'exits.strategies.kill_zone.breakevenR', message: '0 is out of range: must be between 0.05 and 20' },
        {
          path: 'exits.strategies.kill_zone.partialClosePct',
          message: '120 is out of range: must be between 0 and 100',
        },
        {
          path: 'exits.strategies.kill_zone.trailingTimeframe',
          message: '"M2" is not allowed: must be one of M1, M5, M15, M30, H1, H4',
        },
      ]),
    );
    expect(e.find((x) => x.path === 'exits.strategies.kill_zone.trailing')?.message).toMatch(
      /^unknown key "trailing"; allowed keys here: breakevenPct, breakevenR/,
    );
  });

  it('a partial before breakeven is refused; a name is lower-case letters, digits and _', () => {
    expect(
      errs(parseConfig({ exits: { strategies: { mine: { breakevenPct: 40, partialPct: 30 } } } }, 'test')),
    ).toEqual([
      {
        path: 'exits.strategies.mine.partialPct',
        message: 'must be above breakevenPct (40): the partial close comes after breakeven',
      },
    ]);
    expect(errs(parseConfig({ exits: { strategies: { 'London Open': {} } } }, 'test'))).toEqual([
      {
        path: 'exits.strategies.London Open',
        message:
          'invalid key "London Open": a strategy template name is lower-case letters, digits and _ (e.g. breakout_ib_volatility_trap)',
      },
    ]);
  });
});

describe('exits.strategyBySymbol', () => {
  it('names a template per canonical symbol, in any case (the original wrote some in capitals), DEFAULT none', () => {
    const file = tmp.file(
      'by-symbol.yaml',
      'exits:\n  strategyBySymbol:\n    XAUUSD: ORDER_BLOCK_REJECTION\n    BTCUSD: liquidity-sweep-reversal\n',
    );
    const cfg = ok(loadConfigFile(file));
    expect(cfg.exits.strategyBySymbol).toEqual({
      DEFAULT: null,
      XAUUSD: 'order_block_rejection',
      BTCUSD: 'liquidity_sweep_reversal',
    });
  });

  it('an unknown name is refused at load, naming the field and the known templates', () => {
    expect(errs(parseConfig({ exits: { strategyBySymbol: { EURUSD: 'default_standard' } } }, 'test'))).toEqual([
      {
        path: 'exits.strategyBySymbol.EURUSD',
        message: `unknown strategy template "default_standard": known are ${KNOWN}`,
      },
    ]);
    // A template of your own is known there too.
    expect(
      ok(parseConfig({ exits: { strategies: { mine: {} }, strategyBySymbol: { DEFAULT: 'mine' } } }, 'test')).exits
        .strategyBySymbol.DEFAULT,
    ).toBe('mine');
  });

  it('keys are canonical symbols, as in every symbol table', () => {
    expect(errs(parseConfig({ exits: { strategyBySymbol: { XAUUSDc: 'kill_zone' } } }, 'test'))[0]).toEqual({
      path: 'exits.strategyBySymbol.XAUUSDc',
      message:
        '"XAUUSDc" is not a canonical symbol: use "XAUUSD" instead (table keys must be canonical symbols: upper-case, without broker decorations, or DEFAULT)',
    });
  });
});

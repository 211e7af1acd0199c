import { describe, expect, it } from 'vitest';
import { adaptiveThresholds, classifyRegime, DEFAULT_REGIME_PARAMS, dtmsSessionAt } from '../../src/dtms/regime.ts';

const at = (h: number, m = 0) => Date.UTC(2024, 0, 3, h, m);

describe('DTMS regime', () => {
  it('sessions: OVERLAP 13-16 first, ASIAN 0-8 and after 21, LONDON 8-13, NY 16-21', () => {
    expect([0, 7, 8, 12, 13, 15, 16, 20, 21, 23].map((h) => dtmsSessionAt(at(h, 30)))).toEqual([
      'ASIAN',
      'ASIAN',
      'LONDON',
      'LONDON',
      'OVERLAP',
      'OVERLAP',
      'NY',
      'NY',
      'ASIAN',
      'ASIAN',
    ]);
  });

  it('volatility from the ATR ratio and structure from the Bollinger width; missing data is NORMAL / TREND', () => {
    expect(classifyRegime(at(10), 0.69, 0.0039)).toEqual({ session: 'LONDON', volatility: 'LOW', structure: 'RANGE' });
    expect(classifyRegime(at(10), 1.31, 0.004)).toEqual({ session: 'LONDON', volatility: 'HIGH', structure: 'TREND' });
    expect(classifyRegime(at(10), 1.0, 0.01)).toMatchObject({ volatility: 'NORMAL', structure: 'TREND' });
    expect(classifyRegime(at(10), NaN, NaN)).toMatchObject({ volatility: 'NORMAL', structure: 'TREND' });
  });

  it('adaptive thresholds: every multiplier applies (the original lost them to case mismatches), clamped to 0.5..1.8 x base', () => {
    const t = (
      canonical: string,
      session: 'ASIAN' | 'LONDON' | 'OVERLAP' | 'NY',
      volatility: 'LOW' | 'NORMAL' | 'HIGH',
      structure: 'RANGE' | 'TREND',
    ) => adaptiveThresholds(canonical, { session, volatility, structure });
    expect(t('XAUUSD', 'LONDON', 'NORMAL', 'TREND').vwapSlope).toBeCloseTo(0.001, 15);
    expect(t('XAUUSD', 'NY', 'HIGH', 'TREND').vwapSlope).toBeCloseTo(0.001 * 0.8 * 0.8, 15);
    expect(t('XAUUSD', 'NY', 'LOW', 'RANGE').vwapSlope).toBeCloseTo(0.001 * 0.8 * 1.4 * 1.3, 15);
    expect(t('XAUUSD', 'LONDON', 'LOW', 'RANGE').vwapSlope).toBeCloseTo(0.0018, 15); // 1.82, clamped
    expect(t('XAUUSD', 'ASIAN', 'LOW', 'RANGE').vwapSlope).toBeCloseTo(0.0018, 15); // 1.5 x 1.4 x 1.3 = 2.73, clamped
    expect(t('XAUUSD', 'OVERLAP', 'HIGH', 'TREND').vwapSlope).toBeCloseTo(0.001 * 0.7 * 0.8, 15);
    const slow = {
      ...DEFAULT_REGIME_PARAMS,
      sessionMultiplier: { ...DEFAULT_REGIME_PARAMS.sessionMultiplier, OVERLAP: 0.1 },
    };
    expect(
      adaptiveThresholds('XAUUSD', { session: 'OVERLAP', volatility: 'NORMAL', structure: 'TREND' }, slow).vwapSlope,
    ).toBeCloseTo(0.0005, 15); // 0.1, clamped
    expect(t('EURUSD', 'LONDON', 'NORMAL', 'TREND').vwapSlope).toBeCloseTo(0.0005, 15);
    expect(t('BTCUSD', 'LONDON', 'NORMAL', 'TREND').vwapSlope).toBeCloseTo(0.002, 15);
    expect(t('AUDCAD', 'LONDON', 'NORMAL', 'TREND').vwapSlope).toBeCloseTo(0.001, 15); // DEFAULT
    expect(t('XAUUSD', 'LONDON', 'LOW', 'TREND')).toMatchObject({ rsi: 40, volumeFlipShare: 0.72 });
    expect(t('XAUUSD', 'LONDON', 'HIGH', 'TREND')).toMatchObject({ rsi: 45, volumeFlipShare: 0.65 });
  });
});

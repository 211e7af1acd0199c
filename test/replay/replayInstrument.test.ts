import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/config/load.ts';
import { instrumentFromConfig } from '../../src/domain/instruments.ts';
import { parseInstrumentFlag, replayInstrument, replayInstrumentRules } from '../../src/replay/replayInstrument.ts';

const config = defaultConfig();

describe('replay instrument: a symbol the config does not know is refused', () => {
  it('GOLD: refused, naming the contract fields, instruments.GOLD and --instrument', () => {
    expect(() => replayInstrument(config, 'GOLD', true)).toThrow(/GOLD has no instrument rules/);
    expect(() => replayInstrument(config, 'GOLD', true)).toThrow(
      /instruments\.GOLD in a config \(tickSize, digits, lotStep, contractSize;/,
    );
    expect(() => replayInstrument(config, 'GOLD', true)).toThrow(
      /--instrument tickSize=0\.01,digits=2,lotStep=0\.01,contractSize=100/,
    );
    // serve and the paper account keep the DEFAULT fallback (a real account reads the venue's rules).
    expect(instrumentFromConfig(config, 'GOLD').contractSize).toBe(100_000);
  });

  it('XAUUSD.r: the .r suffix is a broker decoration, so it is XAUUSD', () => {
    const inst = replayInstrument(config, 'XAUUSD.r', true);
    expect(inst).toMatchObject({ symbol: 'XAUUSD.r', canonical: 'XAUUSD', contractSize: 100, digits: 3 });
  });

  it('BTCUSDT: refused with a pointer to BTCUSD (the Binance adapter manages it so) and to the perpetual contract', () => {
    const msg = () => replayInstrument(config, 'BTCUSDT', true);
    expect(msg).toThrow(/BTCUSDT has no instrument rules/);
    expect(msg).toThrow(/quoted in USDT: Warden's Binance adapter manages it as BTCUSD\. Pass --symbol BTCUSD/);
    expect(msg).toThrow(/lotStep=0\.001,contractSize=1,crypto=true/);
  });

  it('a symbol defined in a config is accepted, its missing fields from DEFAULT', () => {
    const r = parseConfig({ instruments: { GOLD: { tickSize: 0.01, digits: 2, contractSize: 100 } } }, 'test');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(replayInstrument(r.config, 'GOLD', true)).toMatchObject({
      canonical: 'GOLD',
      tickSize: 0.01,
      digits: 2,
      point: 0.01,
      contractSize: 100,
      lotStep: 0.01,
    });
  });

  it('the DEFAULT entry itself is not an instrument', () => {
    expect(() => replayInstrument(config, 'DEFAULT', true)).toThrow(/no instrument rules/);
  });
});

describe('--instrument key=value,...', () => {
  it('defines an unknown symbol from the contract fields (the rest from DEFAULT)', () => {
    const o = parseInstrumentFlag('tickSize=0.01,digits=2,contractSize=100,lotStep=0.01');
    expect(o).toEqual({ tickSize: 0.01, digits: 2, contractSize: 100, lotStep: 0.01 });
    const inst = replayInstrument(config, 'GOLD', false, o);
    expect(inst).toMatchObject({
      canonical: 'GOLD',
      tickSize: 0.01,
      point: 0.01,
      contractSize: 100,
      minLot: 0.01,
      maxLot: 100,
      hedging: false,
      crypto: false,
    });
    expect(replayInstrumentRules(config, 'GOLD', o).defaultSpreadPoints).toBeUndefined();
  });

  it('an unknown symbol needs every contract field', () => {
    expect(() => replayInstrument(config, 'GOLD', true, parseInstrumentFlag('tickSize=0.01,digits=2'))).toThrow(
      /GOLD is not in the config's instruments table, so its contract needs lotStep, contractSize too/,
    );
  });

  it('changes fields of a known symbol; new digits keep its default spread in price', () => {
    const r = replayInstrumentRules(
      config,
      'XAUUSDc',
      parseInstrumentFlag('tickSize=0.01,digits=2,stopsLevelPoints=30'),
    );
    expect(r).toMatchObject({
      tickSize: 0.01,
      digits: 2,
      contractSize: 100,
      stopsLevelPoints: 30,
      defaultSpreadPoints: 25,
    });
    expect(
      replayInstrumentRules(config, 'XAUUSD', parseInstrumentFlag('defaultSpreadPoints=300')).defaultSpreadPoints,
    ).toBe(300);
    expect(parseInstrumentFlag('crypto=true , maxLot=5')).toEqual({ crypto: true, maxLot: 5 });
  });

  it('refuses with the field named', () => {
    const cases: [string, RegExp][] = [
      ['tickSize=0', /^--instrument tickSize: must be greater than 0 \(got "0"\)$/],
      ['digits=2.5', /^--instrument digits: .*\(got "2.5"\)$/],
      ['contractSize=lots', /^--instrument contractSize: .*\(got "lots"\)$/],
      ['crypto=yes', /^--instrument crypto: /],
      ['tick=0.01', /^--instrument: unknown field "tick"; the fields are tickSize, digits, /],
      ['tickSize', /^--instrument: "tickSize" is not key=value/],
      ['digits=2,digits=3', /^--instrument: digits is given twice$/],
      ['defaultSpreadPoints=-1', /^--instrument defaultSpreadPoints: must be 0 or more/],
    ];
    for (const [text, msg] of cases) expect(() => parseInstrumentFlag(text), text).toThrow(msg);
    expect(() => replayInstrumentRules(config, 'XAUUSD', parseInstrumentFlag('tickSize=0.001,digits=2'))).toThrow(
      /--instrument tickSize: 0\.001 is not a multiple of the point 0\.01/,
    );
    expect(() => replayInstrumentRules(config, 'XAUUSD', parseInstrumentFlag('minLot=200'))).toThrow(
      /--instrument minLot: 200 is above maxLot 100/,
    );
    expect(() => replayInstrumentRules(config, 'XAUUSD', parseInstrumentFlag('lotStep=0.1'))).toThrow(
      /--instrument minLot: 0\.01 is not a multiple of lotStep 0\.1/,
    );
  });
});

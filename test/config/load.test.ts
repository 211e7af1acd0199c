import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { defaultConfig, formatConfigErrors, loadConfigFile, parseConfig } from '../../src/config/load.ts';
import { at, errs, ok, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('defaults: the built-in config parsed from nothing', () => {
  const cfg = ok(parseConfig({}, 'test'));

  it.each([
    // The per-symbol table, but no % of price minimum: the trail's minimum change is in ATR (exits.trailing.minChangeAtr).
    ['BTCUSD', 2.0, 0.5, 0],
    ['XAUUSD', 1.5, 0.3, 0],
    ['EURUSD', 1.2, 0.2, 0],
    ['GBPUSD', 1.3, 0.25, 0],
    ['USDJPY', 1.2, 0.2, 0],
    ['DEFAULT', 1.5, 0.3, 0],
  ])('%s: trailing %d, buffer %d, min SL change %d%%', (symbol, trailing, buffer, minChange) => {
    const p = cfg.exits.symbolParams[symbol];
    expect(p).toBeDefined();
    expect(p?.trailingMultiplier).toBe(trailing);
    expect(p?.bufferMultiplier).toBe(buffer);
    expect(p?.minSlChangePct).toBe(minChange);
    expect(p?.atrTimeframe).toBe('M15');
  });

  it('trade types SCALP 25/40/70, INTRADAY 30/60/50, WEEKEND 25/50/60', () => {
    expect(cfg.exits.tradeTypes).toEqual({
      SCALP: { breakevenPct: 25, partialPct: 40, partialClosePct: 70 },
      INTRADAY: { breakevenPct: 30, partialPct: 60, partialClosePct: 50 },
      WEEKEND: { breakevenPct: 25, partialPct: 50, partialClosePct: 60 },
    });
  });

  it('RMAG thresholds BTCUSD 4.0, XAUUSD 2.0, DEFAULT 2.0; stretched tightens to 20/40', () => {
    expect(cfg.exits.rmag.thresholds).toEqual({ BTCUSD: 4.0, XAUUSD: 2.0, DEFAULT: 2.0 });
    expect(cfg.exits.rmag.vwapFactor).toBe(1.5);
    expect(cfg.exits.rmag.tightenBreakevenPct).toBe(20);
    expect(cfg.exits.rmag.tightenPartialPct).toBe(40);
  });

  it('session adjustments (seed tables)', () => {
    expect(cfg.exits.symbolParams.XAUUSD?.sessions.ASIAN).toEqual({ trailingMultiplier: 1.8, bufferMultiplier: 0.4 });
    expect(cfg.exits.symbolParams.XAUUSD?.sessions.OVERLAP).toEqual({
      trailingMultiplier: 1.3,
      bufferMultiplier: 0.25,
    });
    expect(cfg.exits.symbolParams.BTCUSD?.sessions.ASIAN).toEqual({ trailingMultiplier: 2.2, bufferMultiplier: 0.6 });
    expect(cfg.exits.symbolParams.EURUSD?.sessions.OVERLAP).toEqual({
      trailingMultiplier: 1.1,
      bufferMultiplier: 0.15,
    });
    expect(cfg.exits.symbolParams.DEFAULT?.sessions).toEqual({});
  });

  it('trailing gates and breakeven fallback', () => {
    expect(cfg.exits.trailing.criticalRAchieved).toBe(0.6);
    expect(cfg.exits.trailing.maxAdvisoryFailures).toBe(2);
    expect(cfg.exits.trailing.wideFactor * 1.5).toBeCloseTo(2.0, 12);
    expect(cfg.exits.trailing.mtfMinAligned).toBe(2);
    expect(cfg.exits.trailing.hvnMinDistAtr).toBe(0.3);
    expect(cfg.exits.fallbackBufferPct).toBe(0.1);
    expect(cfg.exits.breakevenMode).toBe('buffered');
    expect(cfg.exits.autoEnable).toBe(true);
  });

  it('defaultConfig() is the parse of {} and a fresh copy each time', () => {
    expect(defaultConfig()).toEqual(cfg);
    const a = defaultConfig();
    a.exits.rmag.thresholds.BTCUSD = 9;
    expect(defaultConfig().exits.rmag.thresholds.BTCUSD).toBe(4);
  });

  it.each([
    ['empty.yaml', ''],
    ['blank.yml', '\n   \n'],
    ['comments.yaml', '# nothing set yet\n'],
    ['empty-object.json', '{}'],
    ['empty.json', ''],
    ['empty-object.yaml', '{}\n'],
  ])('%s gives all the defaults', (name, text) => {
    expect(ok(loadConfigFile(tmp.file(name, text)))).toEqual(defaultConfig());
  });

  it('the effective config printed as YAML loads back to itself', () => {
    const file = tmp.file('roundtrip.yaml', stringify(defaultConfig()));
    expect(ok(loadConfigFile(file))).toEqual(defaultConfig());
  });
});

describe('parameter ranges: trailing multiplier 0.5-3.0, buffer multiplier 0.1-1.0, percents 0-100', () => {
  const refused = (path: string, value: unknown, range: string) => {
    const errors = errs(parseConfig(at(path, value), 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    expect(errors[0]?.message).toContain(range);
    expect(errors[0]?.message).toContain(String(value));
  };

  it.each([0.49, 3.01, 0, -1, 10])('trailing multiplier %d is refused', (v) => {
    refused('exits.symbolParams.XAUUSD.trailingMultiplier', v, 'between 0.5 and 3');
  });

  it.each([0.5, 3.0, 1.75])('trailing multiplier %d is accepted', (v) => {
    expect(
      ok(parseConfig(at('exits.symbolParams.XAUUSD.trailingMultiplier', v), 'test')).exits.symbolParams.XAUUSD
        ?.trailingMultiplier,
    ).toBe(v);
  });

  it('the message has the offending value and the range', () => {
    const errors = errs(parseConfig(at('exits.symbolParams.XAUUSD.trailingMultiplier', 3.5), 'test'));
    expect(errors).toEqual([
      {
        path: 'exits.symbolParams.XAUUSD.trailingMultiplier',
        message: '3.5 is out of range: must be between 0.5 and 3',
      },
    ]);
  });

  it.each([0.09, 1.01, 0])('buffer multiplier %d is refused', (v) => {
    refused('exits.symbolParams.DEFAULT.bufferMultiplier', v, 'between 0.1 and 1');
  });

  it.each([0.1, 1.0])('buffer multiplier %d is accepted', (v) => {
    expect(
      ok(parseConfig(at('exits.symbolParams.DEFAULT.bufferMultiplier', v), 'test')).exits.symbolParams.DEFAULT
        ?.bufferMultiplier,
    ).toBe(v);
  });

  it.each(['breakevenPct', 'partialPct', 'partialClosePct'])(
    'trade type %s: -0.01 and 100.01 refused, 0 and 100 accepted',
    (field) => {
      refused(`exits.tradeTypes.SCALP.${field}`, -0.01, 'between 0 and 100');
      refused(`exits.tradeTypes.WEEKEND.${field}`, 100.01, 'between 0 and 100');
      for (const v of [0, 100]) {
        const cfg = ok(parseConfig(at(`exits.tradeTypes.INTRADAY.${field}`, v), 'test'));
        expect(cfg.exits.tradeTypes.INTRADAY[field as 'breakevenPct']).toBe(v);
      }
    },
  );

  it('broker.pollSec: down to 0.01 s (a venue run on this machine, played fast), up to 300 s', () => {
    for (const v of [0.01, 0.02, 1, 300])
      expect(ok(parseConfig(at('broker.pollSec', v), 'test')).broker.pollSec).toBe(v);
    for (const v of [0.009, 0, -1, 301]) refused('broker.pollSec', v, 'between 0.01 and 300');
  });

  it('broker.quoteSec: 0 (off) up to 300 s, 5 by default; quotes go stale after more than quoteSec', () => {
    expect(ok(parseConfig({}, 'test')).broker).toMatchObject({ quoteSec: 5, quoteStaleSec: 60 });
    for (const v of [0, 0.5, 2, 59]) expect(ok(parseConfig(at('broker.quoteSec', v), 'test')).broker.quoteSec).toBe(v);
    expect(ok(parseConfig({ broker: { quoteSec: 300, quoteStaleSec: 600 } }, 'test')).broker.quoteSec).toBe(300);
    for (const v of [-1, 301]) refused('broker.quoteSec', v, 'between 0 and 300');
    expect(errs(parseConfig(at('broker.quoteStaleSec', 4), 'test')).map((e) => e.path)).toContain(
      'broker.quoteStaleSec',
    );
    const errors = errs(parseConfig({ broker: { quoteSec: 30, quoteStaleSec: 30 } }, 'test'));
    expect(errors.map((e) => e.path)).toEqual(['broker.quoteStaleSec']);
    expect(errors[0]?.message).toContain('more than broker.quoteSec');
  });

  it('RMAG tighten percents 0..100', () => {
    refused('exits.rmag.tightenBreakevenPct', 101, 'between 0 and 100');
    refused('exits.rmag.tightenPartialPct', -5, 'between 0 and 100');
  });

  it('session adjustments use the same ranges', () => {
    refused('exits.symbolParams.XAUUSD.sessions.ASIAN.trailingMultiplier', 3.5, 'between 0.5 and 3');
    refused('exits.symbolParams.XAUUSD.sessions.NY.bufferMultiplier', 1.5, 'between 0.1 and 1');
  });

  it('a value of the wrong type is refused, not defaulted', () => {
    const e1 = errs(parseConfig(at('exits.symbolParams.XAUUSD.trailingMultiplier', '1.5'), 'test'));
    expect(e1[0]?.path).toBe('exits.symbolParams.XAUUSD.trailingMultiplier');
    expect(e1[0]?.message).toContain('"1.5"');
    expect(e1[0]?.message).toContain('between 0.5 and 3');
    const e2 = errs(parseConfig(at('exits.symbolParams.XAUUSD.trailingMultiplier', null), 'test'));
    expect(e2[0]?.path).toBe('exits.symbolParams.XAUUSD.trailingMultiplier');
    const e3 = errs(parseConfig(at('exits.trailing.enabled', 'yes'), 'test'));
    expect(e3[0]).toEqual({ path: 'exits.trailing.enabled', message: '"yes" is not valid: must be true or false' });
  });

  it('an enum names its allowed values', () => {
    const errors = errs(parseConfig(at('exits.symbolParams.XAUUSD.atrTimeframe', 'M2'), 'test'));
    expect(errors[0]?.path).toBe('exits.symbolParams.XAUUSD.atrTimeframe');
    expect(errors[0]?.message).toContain('"M2"');
    expect(errors[0]?.message).toContain('M1, M5, M15, M30, H1, H4');
    const mode = errs(parseConfig(at('exits.breakevenMode', 'lockin'), 'test'));
    expect(mode[0]?.message).toContain('buffered, lock');
  });

  it('integer ranges without a custom message still name both bounds', () => {
    const errors = errs(parseConfig(at('instruments.XAUUSD.digits', 11), 'test'));
    expect(errors).toEqual([
      { path: 'instruments.XAUUSD.digits', message: '11 is out of range: must be a whole number between 0 and 10' },
    ]);
  });

  it('every error is reported, not only the first', () => {
    const errors = errs(
      parseConfig(
        {
          exits: {
            symbolParams: { XAUUSD: { trailingMultiplier: 9, bufferMultiplier: 9 } },
            tradeTypes: { SCALP: { breakevenPct: 500 } },
          },
        },
        'test',
      ),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      'exits.symbolParams.XAUUSD.bufferMultiplier',
      'exits.symbolParams.XAUUSD.trailingMultiplier',
      'exits.tradeTypes.SCALP.breakevenPct',
    ]);
  });
});

describe('unknown keys', () => {
  it.each([
    ['top level', { exitz: {} }, 'exitz'],
    ['in a section', { exits: { trailing: { enable: false } } }, 'exits.trailing.enable'],
    [
      'in a symbol entry',
      { exits: { symbolParams: { XAUUSD: { trailMultiplier: 2 } } } },
      'exits.symbolParams.XAUUSD.trailMultiplier',
    ],
    ['in an instrument', { instruments: { XAUUSD: { tick: 0.01 } } }, 'instruments.XAUUSD.tick'],
    [
      'an unknown session',
      { exits: { symbolParams: { XAUUSD: { sessions: { TOKYO: { trailingMultiplier: 2 } } } } } },
      'exits.symbolParams.XAUUSD.sessions.TOKYO',
    ],
  ])('%s is refused, naming the key', (_what, raw, path) => {
    const errors = errs(parseConfig(raw, 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(path);
    const key = path.split('.').pop() ?? '';
    expect(errors[0]?.message).toContain(`unknown key "${key}"`);
  });

  it('lists the allowed keys', () => {
    const errors = errs(parseConfig({ exits: { trailing: { enable: false } } }, 'test'));
    expect(errors[0]?.message).toContain('enabled');
    const session = errs(parseConfig({ exits: { symbolParams: { XAUUSD: { sessions: { TOKYO: {} } } } } }, 'test'));
    expect(session[0]?.message).toContain('ASIAN, LONDON, OVERLAP, NY, POST_NY');
  });
});

describe('merge over the built-in tables', () => {
  it('a user entry for a built-in symbol is merged field by field; other symbols stay', () => {
    const cfg = ok(parseConfig({ exits: { symbolParams: { XAUUSD: { trailingMultiplier: 2.0 } } } }, 'test'));
    const defaults = defaultConfig();
    expect(cfg.exits.symbolParams.XAUUSD).toEqual({ ...defaults.exits.symbolParams.XAUUSD, trailingMultiplier: 2.0 });
    expect(cfg.exits.symbolParams.XAUUSD?.sessions.ASIAN).toEqual({ trailingMultiplier: 1.8, bufferMultiplier: 0.4 });
    for (const s of ['BTCUSD', 'EURUSD', 'GBPUSD', 'USDJPY', 'DEFAULT']) {
      expect(cfg.exits.symbolParams[s]).toEqual(defaults.exits.symbolParams[s]);
    }
  });

  it("a built-in symbol's sessions field is replaced as a whole when given (so it can be cleared)", () => {
    const cfg = ok(parseConfig({ exits: { symbolParams: { XAUUSD: { sessions: {} } } } }, 'test'));
    expect(cfg.exits.symbolParams.XAUUSD?.sessions).toEqual({});
    expect(cfg.exits.symbolParams.XAUUSD?.bufferMultiplier).toBe(0.3);
  });

  it('a new symbol is merged over DEFAULT, with sessions {}', () => {
    const cfg = ok(parseConfig({ exits: { symbolParams: { US30: { bufferMultiplier: 0.4 } } } }, 'test'));
    expect(cfg.exits.symbolParams.US30).toEqual({
      trailingMultiplier: 1.5,
      bufferMultiplier: 0.4,
      minSlChangePct: 0,
      atrTimeframe: 'M15',
      sessions: {},
    });
    expect(cfg.exits.symbolParams.XAUUSD).toEqual(defaultConfig().exits.symbolParams.XAUUSD);
  });

  it("a new symbol inherits the user's DEFAULT, but not its sessions", () => {
    const cfg = ok(
      parseConfig(
        {
          exits: {
            symbolParams: {
              NAS100: { minSlChangePct: 0.02 },
              DEFAULT: { trailingMultiplier: 2.5, sessions: { ASIAN: { trailingMultiplier: 2.8 } } },
            },
          },
        },
        'test',
      ),
    );
    expect(cfg.exits.symbolParams.DEFAULT?.trailingMultiplier).toBe(2.5);
    expect(cfg.exits.symbolParams.DEFAULT?.sessions).toEqual({ ASIAN: { trailingMultiplier: 2.8 } });
    expect(cfg.exits.symbolParams.NAS100).toEqual({
      trailingMultiplier: 2.5,
      bufferMultiplier: 0.3,
      minSlChangePct: 0.02,
      atrTimeframe: 'M15',
      sessions: {},
    });
    // Built-in symbols keep their own values.
    expect(cfg.exits.symbolParams.XAUUSD?.trailingMultiplier).toBe(1.5);
  });

  it("validation names the user's field inside a new symbol", () => {
    const errors = errs(parseConfig({ exits: { symbolParams: { US30: { trailingMultiplier: 5 } } } }, 'test'));
    expect(errors).toEqual([
      { path: 'exits.symbolParams.US30.trailingMultiplier', message: '5 is out of range: must be between 0.5 and 3' },
    ]);
  });

  it('a bad DEFAULT value is reported once, at DEFAULT, not again at every new symbol that inherits it', () => {
    const errors = errs(
      parseConfig(
        { exits: { symbolParams: { DEFAULT: { trailingMultiplier: 4, extra: 1 }, US30: {}, NAS100: {} } } },
        'test',
      ),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      'exits.symbolParams.DEFAULT.extra',
      'exits.symbolParams.DEFAULT.trailingMultiplier',
    ]);
  });

  it('RMAG thresholds merge over the built-in table', () => {
    const cfg = ok(parseConfig({ exits: { rmag: { thresholds: { XAUUSD: 2.5, US30: 3 } } } }, 'test'));
    expect(cfg.exits.rmag.thresholds).toEqual({ BTCUSD: 4.0, XAUUSD: 2.5, DEFAULT: 2.0, US30: 3 });
    expect(cfg.exits.rmag.vwapFactor).toBe(1.5);
    const errors = errs(parseConfig({ exits: { rmag: { thresholds: { BTCUSD: 25 } } } }, 'test'));
    expect(errors).toEqual([
      { path: 'exits.rmag.thresholds.BTCUSD', message: '25 is out of range: must be between 0.5 and 20' },
    ]);
  });

  it('instruments merge field by field; a new instrument over DEFAULT', () => {
    const defaults = defaultConfig();
    const cfg = ok(
      parseConfig(
        { instruments: { XAUUSD: { maxLot: 50 }, US30: { contractSize: 1, digits: 1, tickSize: 0.1 } } },
        'test',
      ),
    );
    expect(cfg.instruments.XAUUSD).toEqual({ ...defaults.instruments.XAUUSD, maxLot: 50 });
    expect(cfg.instruments.US30).toEqual({
      ...defaults.instruments.DEFAULT,
      contractSize: 1,
      digits: 1,
      tickSize: 0.1,
    });
    expect(cfg.instruments.BTCUSD).toEqual(defaults.instruments.BTCUSD);
    expect(cfg.instruments.DEFAULT).toEqual(defaults.instruments.DEFAULT);
  });

  it('trade types merge field by field over the built-in ones', () => {
    const cfg = ok(parseConfig({ exits: { tradeTypes: { SCALP: { breakevenPct: 20 } } } }, 'test'));
    expect(cfg.exits.tradeTypes).toEqual({
      SCALP: { breakevenPct: 20, partialPct: 40, partialClosePct: 70 },
      INTRADAY: { breakevenPct: 30, partialPct: 60, partialClosePct: 50 },
      WEEKEND: { breakevenPct: 25, partialPct: 50, partialClosePct: 60 },
    });
    const errors = errs(parseConfig({ exits: { tradeTypes: { SWING: { breakevenPct: 20 } } } }, 'test'));
    expect(errors[0]?.path).toBe('exits.tradeTypes.SWING');
  });

  it.each([
    ['exits.symbolParams', 'XAUUSDc', 'XAUUSD'],
    ['exits.symbolParams', 'xauusd', 'XAUUSD'],
    ['exits.symbolParams', 'EURUSD.pro', 'EURUSD'],
    ['exits.symbolParams', 'default', 'DEFAULT'],
    ['instruments', 'BTCUSDm', 'BTCUSD'],
    ['exits.rmag.thresholds', 'GBPUSD-ecn', 'GBPUSD'],
  ])('%s key %s is refused: use %s', (table, key, canonical) => {
    const value = table === 'exits.rmag.thresholds' ? 2 : {};
    const errors = errs(parseConfig(at(table, { [key]: value }), 'test'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(`${table}.${key}`);
    expect(errors[0]?.message).toContain('canonical');
    expect(errors[0]?.message).toContain(`use "${canonical}"`);
  });

  it('a non-canonical key is refused even when the rest is fine, together with other errors', () => {
    const errors = errs(
      parseConfig(
        { exits: { symbolParams: { XAUUSDc: { trailingMultiplier: 2 }, EURUSD: { trailingMultiplier: 9 } } } },
        'test',
      ),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      'exits.symbolParams.EURUSD.trailingMultiplier',
      'exits.symbolParams.XAUUSDc',
    ]);
  });

  it('index and digit-bearing canonical symbols are accepted', () => {
    const cfg = ok(parseConfig({ exits: { rmag: { thresholds: { US10Y: 3, GER40: 3 } } } }, 'test'));
    expect(cfg.exits.rmag.thresholds.US10Y).toBe(3);
  });

  it('a table that is not a mapping is refused, not replaced by the defaults', () => {
    const errors = errs(parseConfig({ exits: { symbolParams: ['XAUUSD'] } }, 'test'));
    expect(errors[0]?.path).toBe('exits.symbolParams');
    const nul = errs(parseConfig({ exits: { symbolParams: null } }, 'test'));
    expect(nul[0]?.path).toBe('exits.symbolParams');
  });
});

describe('files', () => {
  const yamlText = [
    '# Warden config',
    'exits:',
    '  breakevenMode: lock',
    '  symbolParams:',
    '    XAUUSD:',
    '      trailingMultiplier: 2.0',
    '  rmag:',
    '    thresholds:',
    '      XAUUSD: 2.5',
    'instruments:',
    '  XAUUSD:',
    '    maxLot: 50',
    '',
  ].join('\n');
  const jsonText = JSON.stringify({
    exits: {
      breakevenMode: 'lock',
      symbolParams: { XAUUSD: { trailingMultiplier: 2.0 } },
      rmag: { thresholds: { XAUUSD: 2.5 } },
    },
    instruments: { XAUUSD: { maxLot: 50 } },
  });

  it('YAML (.yaml, .yml) and JSON load to the same config', () => {
    const fromYaml = ok(loadConfigFile(tmp.file('a.yaml', yamlText)));
    const fromYml = ok(loadConfigFile(tmp.file('a.yml', yamlText)));
    const fromJson = ok(loadConfigFile(tmp.file('a.json', jsonText)));
    expect(fromYaml).toEqual(fromJson);
    expect(fromYml).toEqual(fromJson);
    expect(fromJson.exits.breakevenMode).toBe('lock');
    expect(fromJson.exits.symbolParams.XAUUSD?.trailingMultiplier).toBe(2.0);
    expect(fromJson.exits.symbolParams.XAUUSD?.bufferMultiplier).toBe(0.3);
    expect(fromJson.exits.rmag.thresholds).toEqual({ BTCUSD: 4, XAUUSD: 2.5, DEFAULT: 2 });
    expect(fromJson.instruments.XAUUSD?.maxLot).toBe(50);
  });

  it('another extension is tried as JSON, then as YAML', () => {
    expect(ok(loadConfigFile(tmp.file('warden.conf', jsonText))).exits.breakevenMode).toBe('lock');
    expect(ok(loadConfigFile(tmp.file('wardenrc', yamlText))).exits.breakevenMode).toBe('lock');
  });

  it('a YAML syntax error is one error naming the file, line and column', () => {
    const file = tmp.file('syntax.yaml', 'exits:\n  symbolParams:\n    XAUUSD: [1,\n  trailing:\n    enabled: true\n');
    const errors = errs(loadConfigFile(file));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(file);
    expect(errors[0]?.message).toMatch(/YAML syntax error at line \d+, column \d+/);
  });

  it('a duplicate YAML key is a syntax error with its line', () => {
    const errors = errs(loadConfigFile(tmp.file('dup.yaml', 'exits:\n  autoEnable: true\n  autoEnable: false\n')));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('line 3');
  });

  it('a JSON syntax error names the line and column', () => {
    const file = tmp.file('syntax.json', '{\n  "exits": {\n    "autoEnable": true,\n  }\n}\n');
    const errors = errs(loadConfigFile(file));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe(file);
    expect(errors[0]?.message).toMatch(/JSON syntax error at line 4, column 3/);
  });

  it('a missing file is one error naming the file', () => {
    const file = `${tmp.dir}/does-not-exist.yaml`;
    expect(errs(loadConfigFile(file))).toEqual([{ path: file, message: 'config file not found' }]);
  });

  it('a directory is refused', () => {
    const errors = errs(loadConfigFile(tmp.dir));
    expect(errors[0]?.message).toContain('directory');
  });

  it('a document that is not a mapping is refused', () => {
    const errors = errs(loadConfigFile(tmp.file('list.yaml', '- 1\n- 2\n')));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('mapping');
    expect(errs(parseConfig('hello', 'x.yaml'))[0]?.message).toContain('"hello"');
    expect(errs(parseConfig(42, 'x.yaml'))[0]?.message).toContain('42');
  });

  it('never throws, even for a self-referencing YAML document', () => {
    const file = tmp.file('cycle.yaml', 'exits: &a\n  trailing: *a\n');
    expect(() => loadConfigFile(file)).not.toThrow();
    expect(loadConfigFile(file).ok).toBe(false);
  });
});

describe('formatConfigErrors', () => {
  it('one `path: message` line per error', () => {
    const text = formatConfigErrors([
      {
        path: 'exits.symbolParams.XAUUSD.trailingMultiplier',
        message: '3.5 is out of range: must be between 0.5 and 3',
      },
      { path: 'foo', message: 'unknown key "foo"' },
    ]);
    expect(text.split('\n')).toEqual([
      'exits.symbolParams.XAUUSD.trailingMultiplier: 3.5 is out of range: must be between 0.5 and 3',
      'foo: unknown key "foo"',
    ]);
  });
});

// Warden's configuration: one zod schema, the defaults of warden.md, and the seed's phase 11 ranges.
// An out-of-range value is refused with its field path and the allowed range; nothing is silently replaced.
import { z } from 'zod';

const range = (min: number, max: number) =>
  z
    .number({ error: `must be a number between ${min} and ${max}` })
    .min(min, { error: `must be between ${min} and ${max}` })
    .max(max, { error: `must be between ${min} and ${max}` });

/** Seed phase 11: trailing multiplier 0.5 to 3.0 (in ATR). */
export const trailingMultiplier = () => range(0.5, 3.0);
/** Seed phase 11: breakeven buffer 0.1 to 1.0 (in ATR). */
export const bufferMultiplier = () => range(0.1, 1.0);
/** Seed phase 11: percents 0 to 100. */
export const percent = () => range(0, 100);

export const TIMEFRAME_VALUES = ['M1', 'M5', 'M15', 'M30', 'H1', 'H4'] as const;
export const SESSION_VALUES = ['ASIAN', 'LONDON', 'OVERLAP', 'NY', 'POST_NY'] as const;
export const TRADE_TYPE_VALUES = ['SCALP', 'INTRADAY', 'WEEKEND'] as const;

const sessionAdjustment = z.strictObject({
  trailingMultiplier: trailingMultiplier().optional(),
  bufferMultiplier: bufferMultiplier().optional(),
});

const symbolExitParams = z.strictObject({
  trailingMultiplier: trailingMultiplier(),
  bufferMultiplier: bufferMultiplier(),
  /** Minimum SL improvement for a trailing move, % of price. */
  minSlChangePct: range(0, 5),
  atrTimeframe: z.enum(TIMEFRAME_VALUES),
  sessions: z.partialRecord(z.enum(SESSION_VALUES), sessionAdjustment).default({}),
});

const tradeTypeBase = z.strictObject({
  breakevenPct: percent(),
  partialPct: percent(),
  partialClosePct: percent(),
});

const instrumentRules = z.strictObject({
  tickSize: z.number().positive({ error: 'must be greater than 0' }),
  digits: z.number().int().min(0).max(10),
  lotStep: z.number().positive({ error: 'must be greater than 0' }),
  minLot: z.number().positive({ error: 'must be greater than 0' }),
  maxLot: z.number().positive({ error: 'must be greater than 0' }),
  contractSize: z.number().positive({ error: 'must be greater than 0' }),
  stopsLevelPoints: z.number().min(0, { error: 'must be 0 or more' }),
  freezeLevelPoints: z.number().min(0, { error: 'must be 0 or more' }),
  crypto: z.boolean(),
});

/** A table keyed by canonical symbol that must hold a DEFAULT entry. */
const symbolTable = <T extends z.ZodType>(entry: T) =>
  z.record(z.string().min(1), entry).refine((t) => 'DEFAULT' in t, { error: 'must have a DEFAULT entry' });

export const DEFAULT_SESSION_ADJUSTMENTS = {
  BTCUSD: {
    ASIAN: { trailingMultiplier: 2.2, bufferMultiplier: 0.6 },
    LONDON: { trailingMultiplier: 2.0, bufferMultiplier: 0.5 },
    NY: { trailingMultiplier: 2.0, bufferMultiplier: 0.5 },
    OVERLAP: { trailingMultiplier: 1.8, bufferMultiplier: 0.4 },
  },
  XAUUSD: {
    ASIAN: { trailingMultiplier: 1.8, bufferMultiplier: 0.4 },
    LONDON: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    NY: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    OVERLAP: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
  },
  EURUSD: {
    ASIAN: { trailingMultiplier: 1.4, bufferMultiplier: 0.25 },
    LONDON: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    NY: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    OVERLAP: { trailingMultiplier: 1.1, bufferMultiplier: 0.15 },
  },
  GBPUSD: {
    ASIAN: { trailingMultiplier: 1.5, bufferMultiplier: 0.3 },
    LONDON: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
    NY: { trailingMultiplier: 1.3, bufferMultiplier: 0.25 },
    OVERLAP: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
  },
  USDJPY: {
    ASIAN: { trailingMultiplier: 1.4, bufferMultiplier: 0.25 },
    LONDON: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    NY: { trailingMultiplier: 1.2, bufferMultiplier: 0.2 },
    OVERLAP: { trailingMultiplier: 1.1, bufferMultiplier: 0.15 },
  },
} as const;

export const DEFAULT_SYMBOL_PARAMS = {
  BTCUSD: { trailingMultiplier: 2.0, bufferMultiplier: 0.5, minSlChangePct: 0.1, atrTimeframe: 'M15', sessions: DEFAULT_SESSION_ADJUSTMENTS.BTCUSD },
  XAUUSD: { trailingMultiplier: 1.5, bufferMultiplier: 0.3, minSlChangePct: 0.08, atrTimeframe: 'M15', sessions: DEFAULT_SESSION_ADJUSTMENTS.XAUUSD },
  EURUSD: { trailingMultiplier: 1.2, bufferMultiplier: 0.2, minSlChangePct: 0.05, atrTimeframe: 'M15', sessions: DEFAULT_SESSION_ADJUSTMENTS.EURUSD },
  GBPUSD: { trailingMultiplier: 1.3, bufferMultiplier: 0.25, minSlChangePct: 0.06, atrTimeframe: 'M15', sessions: DEFAULT_SESSION_ADJUSTMENTS.GBPUSD },
  USDJPY: { trailingMultiplier: 1.2, bufferMultiplier: 0.2, minSlChangePct: 0.05, atrTimeframe: 'M15', sessions: DEFAULT_SESSION_ADJUSTMENTS.USDJPY },
  DEFAULT: { trailingMultiplier: 1.5, bufferMultiplier: 0.3, minSlChangePct: 0.05, atrTimeframe: 'M15', sessions: {} },
} as const;

/** Instrument rules for the paper broker and replay when the broker does not supply them. */
export const DEFAULT_INSTRUMENTS = {
  XAUUSD: { tickSize: 0.001, digits: 3, lotStep: 0.01, minLot: 0.01, maxLot: 100, contractSize: 100, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: false },
  EURUSD: { tickSize: 0.00001, digits: 5, lotStep: 0.01, minLot: 0.01, maxLot: 100, contractSize: 100_000, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: false },
  GBPUSD: { tickSize: 0.00001, digits: 5, lotStep: 0.01, minLot: 0.01, maxLot: 100, contractSize: 100_000, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: false },
  USDJPY: { tickSize: 0.001, digits: 3, lotStep: 0.01, minLot: 0.01, maxLot: 100, contractSize: 100_000, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: false },
  BTCUSD: { tickSize: 0.01, digits: 2, lotStep: 0.01, minLot: 0.01, maxLot: 50, contractSize: 1, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: true },
  DEFAULT: { tickSize: 0.00001, digits: 5, lotStep: 0.01, minLot: 0.01, maxLot: 100, contractSize: 100_000, stopsLevelPoints: 0, freezeLevelPoints: 0, crypto: false },
} as const;

export const symbolsSchema = z
  .strictObject({
    /** Broker decorations stripped to get the canonical symbol (suffixes, matched case-sensitively). */
    decorations: z.array(z.string().min(1)).default(['c', 'm', '.pro', '.raw', '.ecn', '-ecn', '.a']),
    /** Symbols that pass through unchanged (indices). */
    passthrough: z.array(z.string().min(1)).default(['DXY', 'VIX', 'US10Y', 'SPX']),
  })
  .prefault({});

export const exitsSchema = z
  .strictObject({
    /** Register an exit plan for every position Warden sees (the seed wants this for every path). */
    autoEnable: z.boolean().default(true),
    /** `buffered`: entry + spread - ATR buffer (seed phase 3). `lock`: entry + spread + offset. */
    breakevenMode: z.enum(['buffered', 'lock']).default('buffered'),
    /** Lock mode offset beyond entry + spread, in points. */
    lockOffsetPoints: z.number().min(0, { error: 'must be 0 or more' }).default(0),
    /** Fallback buffer when ATR is unavailable, % of entry (seed: 0.1%). */
    fallbackBufferPct: range(0, 5).default(0.1),
    tradeTypes: z
      .strictObject({ SCALP: tradeTypeBase, INTRADAY: tradeTypeBase, WEEKEND: tradeTypeBase })
      .prefault({
        SCALP: { breakevenPct: 25, partialPct: 40, partialClosePct: 70 },
        INTRADAY: { breakevenPct: 30, partialPct: 60, partialClosePct: 50 },
        WEEKEND: { breakevenPct: 25, partialPct: 50, partialClosePct: 60 },
      }),
    classifier: z
      .strictObject({
        scalpKeywords: z.array(z.string().min(1)).default(['scalp', 'scalping', 'scalper', 'micro', 'quick', 'fast', 'rapid', 'short', 'brief', 'momentum', 'quick trade', 'fast exit', 'take profits']),
        intradayKeywords: z.array(z.string().min(1)).default(['swing', 'intraday', 'hold', 'position', 'trend', 'runner', 'daily', 'session', 'full target', 'let it run']),
        /** Stop distance / ATR(H1) at or below this means SCALP. */
        scalpStopAtrRatio: z.number().positive().default(1.0),
      })
      .prefault({}),
    rmag: z
      .strictObject({
        thresholds: symbolTable(range(0.5, 20)).default({ BTCUSD: 4.0, XAUUSD: 2.0, DEFAULT: 2.0 }),
        /** VWAP distance counts as stretched above this share of the threshold. */
        vwapFactor: range(0.1, 2).default(0.9),
        tightenBreakevenPct: percent().default(20),
        tightenPartialPct: percent().default(40),
      })
      .prefault({}),
    /** Advanced trigger refresh cadence before breakeven, seconds of engine time. */
    refreshIntervalSec: z.number().int().min(0).max(86_400).default(300),
    trailing: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Critical gate: partial done or R achieved at least this. */
        criticalRAchieved: range(0, 10).default(0.6),
        /** Up to this many advisory failures keep the symbol multiplier; more use the wide one. */
        maxAdvisoryFailures: z.number().int().min(0).max(5).default(2),
        /** Wide multiplier = symbol multiplier x this (1.5 becomes 2.0, as in the seed). */
        wideFactor: range(1, 3).default(4 / 3),
        mtfMinAligned: z.number().int().min(0).max(3).default(2),
        hvnMinDistAtr: range(0, 10).default(0.3),
      })
      .prefault({}),
    symbolParams: symbolTable(symbolExitParams).prefault(DEFAULT_SYMBOL_PARAMS as never),
  })
  .prefault({});

export const featuresSchema = z
  .strictObject({
    /** Timeframe the trigger features (RMAG, slopes, squeeze, RSI/ADX) are read from (original: M15). */
    timeframe: z.enum(TIMEFRAME_VALUES).default('M15'),
    /** Timeframe of the volume profile (original: M5) and its window in bars. */
    volumeProfileTimeframe: z.enum(TIMEFRAME_VALUES).default('M5'),
    volumeProfileBars: z.number().int().min(20).max(2000).default(200),
    volumeProfileBins: z.number().int().min(5).max(200).default(20),
    /** Hour (UTC) the VWAP session starts each day. */
    vwapAnchorHourUtc: z.number().int().min(0).max(23).default(0),
  })
  .prefault({});

export const configSchema = z.strictObject({
  symbols: symbolsSchema,
  exits: exitsSchema,
  features: featuresSchema,
  instruments: symbolTable(instrumentRules).prefault(DEFAULT_INSTRUMENTS as never),
});

export type WardenConfig = z.infer<typeof configSchema>;
export type ExitsConfig = WardenConfig['exits'];
export type SymbolExitParams = z.infer<typeof symbolExitParams>;
export type TradeTypeBase = z.infer<typeof tradeTypeBase>;
export type InstrumentRules = z.infer<typeof instrumentRules>;
export type FeaturesConfig = WardenConfig['features'];
